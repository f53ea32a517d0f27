! module_dgemm_alpha.f90 -- DGEMM_ALPHA as a Fortran program sees it through
! the module `lapack_ai` (include/lapack_ai.f90): the Fortran-ABI routine
! DGEMM_ALPHA and the LAPACKE-style function lapack_ai_dgemm_alpha.
!
! Build (fortran-tests/CMakeLists.txt does it against an installed package):
!   gfortran include/lapack_ai.f90 fortran-tests/module_dgemm_alpha.f90 \
!       -L target/release -llapack_ai -Wl,-rpath,$PWD/target/release \
!       -Wl,--no-as-needed -llapack -lblas
!   LAPACK_AI_ALPHA_LEVELS=1 LAPACK_AI_ALPHA_MIN_BLOCK=1 ./a.out
! (the two settings make the 4x4 scheme run on these small products; the
! CMake test sets them).
!
! Checks: every TRANSA/TRANSB pair (both cases of the letters), shapes
! with and without edges to peel, padded leading dimensions, several
! ALPHA/BETA (BETA = 0 with NaN in C, which must not leak), against a
! triple loop: |C - C_loop| <= 64 eps (k |alpha| max|A| max|B| + |beta|
! max|C|), the normwise bound of the README times a margin. Padding of C
! unchanged. lapack_ai_dgemm_alpha in both layouts. Illegal arguments:
! XERBLA('DGEMM_ALPHA', position) from DGEMM_ALPHA (this program replaces
! XERBLA), -position from lapack_ai_dgemm_alpha without XERBLA, C
! unchanged.
! Output: "FAIL ..." per failed check, then exactly "N passed, N failed";
! STOP 1 if any check failed.

module alpha_xerbla_record
  implicit none
  integer, save :: xerbla_calls = 0, xerbla_info = 0
  character(len=32), save :: xerbla_name = ''
end module alpha_xerbla_record

module alpha_checks
  use, intrinsic :: iso_c_binding, only: c_int, c_double
  use, intrinsic :: ieee_arithmetic, only: ieee_value, ieee_quiet_nan, ieee_is_nan
  use lapack_ai
  use alpha_xerbla_record
  implicit none
  integer, parameter :: dp = c_double
  integer :: npass = 0, nfail = 0

contains

  subroutine check(ok, label)
    logical, intent(in) :: ok
    character(len=*), intent(in) :: label
    if (ok) then
       npass = npass + 1
    else
       nfail = nfail + 1
       write(*, '(2a)') 'FAIL ', label
    end if
  end subroutine check

  ! C := alpha op(A) op(B) + beta C by loops (beta = 0: C not read).
  subroutine loop_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    character, intent(in) :: ta, tb
    integer, intent(in) :: m, n, k, lda, ldb, ldc
    real(dp), intent(in) :: alpha, beta, a(lda, *), b(ldb, *)
    real(dp), intent(inout) :: c(ldc, *)
    integer :: i, j, l
    real(dp) :: s, x, y
    do j = 1, n
       do i = 1, m
          s = 0
          do l = 1, k
             if (ta == 'N' .or. ta == 'n') then
                x = a(i, l)
             else
                x = a(l, i)
             end if
             if (tb == 'N' .or. tb == 'n') then
                y = b(l, j)
             else
                y = b(j, l)
             end if
             s = s + x * y
          end do
          if (beta == 0) then
             c(i, j) = alpha * s
          else
             c(i, j) = alpha * s + beta * c(i, j)
          end if
       end do
    end do
  end subroutine loop_gemm

  subroutine one_case(ta, tb, m, n, k, alpha, beta, pad)
    character, intent(in) :: ta, tb
    integer, intent(in) :: m, n, k, pad
    real(dp), intent(in) :: alpha, beta
    real(dp), allocatable :: a(:, :), b(:, :), c0(:, :), c1(:, :), c2(:, :), cr(:, :), at(:, :), bt(:, :), ct(:, :)
    integer :: ar, ac, br, bc, lda, ldb, ldc, info, i, j
    real(dp) :: tol, err
    character(len=96) :: label

    if (ta == 'N' .or. ta == 'n') then
       ar = m; ac = k
    else
       ar = k; ac = m
    end if
    if (tb == 'N' .or. tb == 'n') then
       br = k; bc = n
    else
       br = n; bc = k
    end if
    lda = ar + pad; ldb = br + pad; ldc = m + pad
    allocate(a(lda, ac), b(ldb, bc), c0(ldc, n), at(ac, ar), bt(bc, br), ct(n, m))
    call random_number(a); a = 2 * a - 1
    call random_number(b); b = 2 * b - 1
    call random_number(c0); c0 = 2 * c0 - 1
    if (beta == 0) c0(1:m, 1:n) = ieee_value(1.0_dp, ieee_quiet_nan)
    cr = c0
    call loop_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, cr, ldc)
    tol = 64 * epsilon(1.0_dp) * (k * abs(alpha) + abs(beta))
    write(label, '(a,2(1x,a),3(1x,i0),2(1x,f6.2),1x,i0)') 'dgemm_alpha', ta, tb, m, n, k, alpha, beta, pad

    c1 = c0
    call dgemm_alpha(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c1, ldc)
    err = maxval(abs(c1(1:m, 1:n) - cr(1:m, 1:n)))
    call check(err <= tol .and. .not. any(ieee_is_nan(c1(1:m, 1:n))), trim(label) // ': error')
    if (pad > 0) call check(all(c1(m+1:, :) == c0(m+1:, :)), trim(label) // ': padding of C changed')

    c2 = c0
    info = lapack_ai_dgemm_alpha(LAPACK_AI_COL_MAJOR, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c2, ldc)
    call check(info == 0 .and. maxval(abs(c2(1:m, 1:n) - cr(1:m, 1:n))) <= tol, trim(label) // ': C API, column major')

    ! Row major: a Fortran program holds row-major X as X^T.
    at = transpose(a(1:ar, 1:ac))
    bt = transpose(b(1:br, 1:bc))
    ct = transpose(c0(1:m, 1:n))
    info = lapack_ai_dgemm_alpha(LAPACK_AI_ROW_MAJOR, ta, tb, m, n, k, alpha, at, ac, bt, bc, beta, ct, n)
    err = 0
    do j = 1, n
       do i = 1, m
          err = max(err, abs(ct(j, i) - cr(i, j)))
       end do
    end do
    call check(info == 0 .and. err <= tol, trim(label) // ': C API, row major')
  end subroutine one_case

  subroutine illegal()
    real(dp) :: a(4, 4), c(4, 4), c0(4, 4)
    integer :: calls0, info
    call random_number(a)
    c0 = 7
    c = c0
    calls0 = xerbla_calls
    call dgemm_alpha('N', 'N', 4, 4, 4, 1.0_dp, a, 3, a, 4, 0.0_dp, c, 4)
    call check(xerbla_calls == calls0 + 1 .and. xerbla_info == 8 .and. xerbla_name(1:11) == 'DGEMM_ALPHA', &
         'DGEMM_ALPHA LDA < M: XERBLA(''DGEMM_ALPHA'', 8)')
    call dgemm_alpha('X', 'N', 4, 4, 4, 1.0_dp, a, 4, a, 4, 0.0_dp, c, 4)
    call check(xerbla_info == 1, 'DGEMM_ALPHA TRANSA = X: XERBLA position 1')
    call dgemm_alpha('N', 'N', 4, 4, 4, 1.0_dp, a, 4, a, 4, 0.0_dp, c, 2)
    call check(xerbla_info == 13, 'DGEMM_ALPHA LDC < M: XERBLA position 13')
    call check(all(c == c0), 'DGEMM_ALPHA illegal: C changed')
    calls0 = xerbla_calls
    info = lapack_ai_dgemm_alpha(LAPACK_AI_COL_MAJOR, 'N', 'N', 4, 4, 4, 1.0_dp, a, 3, a, 4, 0.0_dp, c, 4)
    call check(info == -9 .and. xerbla_calls == calls0, 'lapack_ai_dgemm_alpha LDA < M: -9, no XERBLA')
    info = lapack_ai_dgemm_alpha(0_c_int, 'N', 'N', 4, 4, 4, 1.0_dp, a, 4, a, 4, 0.0_dp, c, 4)
    call check(info == -1, 'lapack_ai_dgemm_alpha layout 0: -1')
    info = lapack_ai_dgemm_alpha(LAPACK_AI_ROW_MAJOR, 'N', 'T', 4, 4, 4, 1.0_dp, a, 4, a, 4, 0.0_dp, c, 3)
    call check(info == -14, 'lapack_ai_dgemm_alpha row major LDC < N: -14')
    call check(all(c == c0), 'lapack_ai_dgemm_alpha illegal: C changed')
  end subroutine illegal

end module alpha_checks

program module_dgemm_alpha
  use alpha_checks
  implicit none
  character, parameter :: trans(4) = ['N', 'T', 'c', 'n']
  integer, parameter :: nshape = 5
  integer, parameter :: ms(nshape) = [37, 64, 5, 66, 12]
  integer, parameter :: ns(nshape) = [45, 64, 3, 17, 80]
  integer, parameter :: ks(nshape) = [29, 64, 7, 130, 9]
  real(dp), parameter :: alphas(3) = [1.0_dp, -0.5_dp, 2.0_dp], betas(3) = [0.0_dp, 1.0_dp, -0.25_dp]
  integer :: s, i, j, t
  integer, allocatable :: seed(:)

  call random_seed(size=i)
  allocate(seed(i))
  seed = 20261125
  call random_seed(put=seed)
  t = 0
  do s = 1, nshape
     do i = 1, 4
        do j = 1, 4
           t = t + 1
           call one_case(trans(i), trans(j), ms(s), ns(s), ks(s), alphas(mod(t, 3) + 1), betas(mod(t / 3, 3) + 1), mod(t, 2))
        end do
     end do
  end do
  call illegal()
  write(*, '(i0,a,i0,a)') npass, ' passed, ', nfail, ' failed'
  if (nfail > 0) stop 1
end program module_dgemm_alpha

! Records illegal-argument reports instead of stopping.
subroutine xerbla(srname, info)
  use alpha_xerbla_record
  implicit none
  character(len=*), intent(in) :: srname
  integer, intent(in) :: info
  xerbla_calls = xerbla_calls + 1
  xerbla_name = srname
  xerbla_info = info
end subroutine xerbla
