! The statistics from Fortran (tests/stats_monitor.sh runs it with
! LAPACK_AI_PROFILE=stderr): three DGEMM calls, then the module's
! lapack_ai_stats() and lapack_ai_stats_json() must count exactly those,
! and the program ends with STOP, after which the profile must be printed
! once.
program stats_api
  use, intrinsic :: iso_c_binding, only: c_char, c_size_t, c_null_char
  use lapack_ai
  implicit none
  external :: dgemm
  double precision :: a(4, 4), b(4, 4), c(4, 4)
  character(len=:), allocatable :: json
  character(kind=c_char) :: buf(16)
  integer(c_size_t) :: n
  integer :: passed, failed, i

  passed = 0
  failed = 0
  a = 1d0
  b = 2d0
  c = 0d0
  call dgemm('N', 'N', 4, 4, 4, 1d0, a, 4, b, 4, 0d0, c, 4)
  call dgemm('T', 'N', 2, 3, 4, 1d0, a, 4, b, 4, 1d0, c, 4)
  call dgemm('N', 'T', 1, 1, 1, 1d0, a, 4, b, 4, 1d0, c, 4)
  call dgemm('N', 'N', 0, 1, 1, 1d0, a, 4, b, 4, 1d0, c, 4)   ! quick return: not counted

  json = lapack_ai_stats()
  call check(index(json, '{"routine":"dgemm_","calls":3,"gpu_calls":0,"cpu_calls":3,"fallbacks":0,') > 0, &
       'lapack_ai_stats: dgemm_ called 3 times, on the CPU')
  ! 2*4*4*4 + 2*2*3*4 + 2 = 128 + 48 + 2
  call check(index(json, '"flops":178,') > 0, 'lapack_ai_stats: 178 flops')
  call check(index(json, '{"routine":"dgesvd_","calls":0,') > 0, 'lapack_ai_stats: no dgesvd_')
  call check(json(len(json)-1:) == ']}', 'lapack_ai_stats: the whole text')

  buf = 'x'
  n = lapack_ai_stats_json(buf, int(size(buf), c_size_t))
  call check(n >= len(json), 'lapack_ai_stats_json: returns the whole length')
  call check(buf(16) == c_null_char, 'lapack_ai_stats_json: NUL-terminated')
  call check(all([(buf(i) == json(i:i), i = 1, 15)]), 'lapack_ai_stats_json: the first 15 characters')
  n = lapack_ai_stats_json(buf, 0_c_size_t)
  call check(buf(1) == json(1:1) .and. n >= len(json), 'lapack_ai_stats_json: LEN = 0 writes nothing')

  print '(i0, " passed, ", i0, " failed")', passed, failed
  if (failed > 0) then
     print '(a)', json
     error stop 1
  end if
  stop

contains

  subroutine check(ok, what)
    logical, intent(in) :: ok
    character(len=*), intent(in) :: what
    if (ok) then
       passed = passed + 1
    else
       failed = failed + 1
       print '("FAIL ", a)', what
    end if
  end subroutine check

end program stats_api
