! module_dgesvdocl.f90 -- DGESVDOCL as a Fortran program sees it through the
! module `lapack_ai` (include/lapack_ai.f90): the Fortran-ABI routine
! DGESVDOCL and the LAPACKE-style function lapack_ai_dgesvdocl, both with
! compile-time checked interfaces.
!
! Build (fortran-tests/CMakeLists.txt does it against an installed package):
!   gfortran include/lapack_ai.f90 fortran-tests/module_dgesvdocl.f90 \
!       -L target/release -llapack_ai -Wl,-rpath,$PWD/target/release \
!       -Wl,--no-as-needed -llapack -lblas
!   ./a.out [seed [expected-version]]
! The LAPACK after the library is there for XERBLA: the library finds this
! program's XERBLA only if the program exports xerbla_, which the linker
! does only when a shared library on the link line defines it.
!
! Checks, with LAPACK's TESTING ratios (EPS = dlamch('E') = epsilon/2,
! threshold 30), for every legal JOBU/JOBVT pair, odd shapes and padded
! leading dimensions:
!   ||A - U S V^T||_1 / (||A||_1 max(m,n) eps), ||I - U^T U||_1 / (m eps),
!   ||I - V^T V||_1 / (n eps) (V^T's rows), singular values non-negative,
!   non-increasing and equal to those of a JOBU = JOBVT = 'N' DGESVDOCL call
!   within 30 eps s1 max(m,n); padding and unreferenced arrays unchanged.
! DGESVDOCL through the interface (optimal and minimal LWORK), then
! lapack_ai_dgesvdocl in both layouts; illegal arguments of both come back
! as the right INFO (the Fortran routine also through XERBLA, which this
! program replaces, the C-style function never); the version and info
! strings.
!
! Inputs are random, |x| in [0.1, 0.99), never zero, from a printed seed.
! Padding of A holds NaN: a routine that read it (the NaN check included)
! would fail visibly.
! Output: "FAIL ..." per failed check, then exactly "N passed, N failed";
! STOP 1 if any check failed.

! What XERBLA was last told; the replacement XERBLA after the program
! writes it, so that illegal arguments can be tested without reference
! XERBLA stopping the program.
module xerbla_record
  implicit none
  integer, save :: xerbla_calls = 0, xerbla_info = 0
  character(len=32), save :: xerbla_name = ''
end module xerbla_record

! The checks; the program at the end of the file runs them.
module svd_checks
  use, intrinsic :: iso_c_binding, only: c_int, c_double
  use, intrinsic :: ieee_arithmetic, only: ieee_value, ieee_quiet_nan, ieee_is_nan, ieee_is_finite
  use lapack_ai
  use xerbla_record
  implicit none

  integer, parameter :: dp = c_double
  real(dp), parameter :: thresh = 30.0_dp
  ! Unreferenced arrays and padding of outputs: must come back as they were.
  real(dp), parameter :: sentinel = -1.2345678901234567e123_dp

  real(dp) :: eps = 0.0_dp, qnan = 0.0_dp
  integer :: npass = 0, nfail = 0

contains

  ! ------------------------------------------------------------ bookkeeping

  ! Argument 1: the base seed; argument 2: the version the library must
  ! report (the CMake package's), empty if not given.
  subroutine set_seed(expected)
    character(len=*), intent(out) :: expected
    integer :: nseed, i, base, ios
    integer, allocatable :: seed(:)
    character(len=64) :: arg

    base = 20261124
    if (command_argument_count() >= 1) then
       call get_command_argument(1, arg)
       read(arg, *, iostat=ios) i
       if (ios == 0) base = i
    end if
    expected = ''
    if (command_argument_count() >= 2) call get_command_argument(2, expected)
    call random_seed(size=nseed)
    allocate(seed(nseed))
    do i = 1, nseed
       seed(i) = base + 7919 * (i - 1)
    end do
    call random_seed(put=seed)
    write(*, '(a,i0)') 'seed: ', base
  end subroutine set_seed

  subroutine check(ok, label, what)
    logical, intent(in) :: ok
    character(len=*), intent(in) :: label, what
    if (ok) then
       npass = npass + 1
    else
       nfail = nfail + 1
       write(*, '(4a)') 'FAIL ', trim(label), ': ', what
    end if
  end subroutine check

  ! Passes when ratio < limit; NaN fails.
  subroutine check_ratio(ratio, label, what)
    real(dp), intent(in) :: ratio
    character(len=*), intent(in) :: label, what
    if (ratio < thresh) then
       npass = npass + 1
    else
       nfail = nfail + 1
       write(*, '(4a,es11.4)') 'FAIL ', trim(label), ': ', what // ' ratio=', ratio
    end if
  end subroutine check_ratio

  subroutine check_info(got, want, label)
    integer(c_int), intent(in) :: got
    integer, intent(in) :: want
    character(len=*), intent(in) :: label
    character(len=48) :: what
    write(what, '(a,i0,a,i0)') 'INFO=', got, ', expected ', want
    call check(got == want, label, trim(what))
  end subroutine check_info

  ! ---------------------------------------------------------------- helpers

  ! Uniform in (-0.99, -0.1] U [0.1, 0.99): never zero.
  subroutine fill_random(x)
    real(dp), intent(out) :: x(:, :)
    real(dp) :: r(size(x, 1), size(x, 2))
    call random_number(r)
    r = 2.0_dp * r - 1.0_dp
    x = sign(0.1_dp + 0.89_dp * abs(r), r)
  end subroutine fill_random

  function str(i) result(text)
    integer, intent(in) :: i
    character(len=:), allocatable :: text
    character(len=12) :: buf
    write(buf, '(i0)') i
    text = trim(buf)
  end function str

  elemental logical function same(x, y)
    real(dp), intent(in) :: x, y
    same = (x == y) .or. (ieee_is_nan(x) .and. ieee_is_nan(y))
  end function same

  ! 1-norm; NaN when any entry is not finite, so that the ratio fails.
  real(dp) function norm1(x)
    real(dp), intent(in) :: x(:, :)
    if (all(ieee_is_finite(x))) then
       norm1 = maxval(sum(abs(x), dim=1))
    else
       norm1 = qnan
    end if
  end function norm1

  ! Position of element (i, j) in a 1-D array that holds a matrix with
  ! leading dimension ld in the given layout.
  pure integer function pos(ld, i, j, row_major)
    integer, intent(in) :: ld, i, j
    logical, intent(in) :: row_major
    if (row_major) then
       pos = (i - 1) * ld + j
    else
       pos = (j - 1) * ld + i
    end if
  end function pos

  ! Columns of U and rows of V^T that JOBU / JOBVT ask for; 0 for 'N'.
  pure integer function vectors(job, dim, mn)
    character(len=1), intent(in) :: job
    integer, intent(in) :: dim, mn
    select case (job)
    case ('A', 'a')
       vectors = dim
    case ('S', 's', 'O', 'o')
       vectors = mn
    case default
       vectors = 0
    end select
  end function vectors

  pure logical function is_o(job)
    character(len=1), intent(in) :: job
    is_o = job == 'O' .or. job == 'o'
  end function is_o

  ! Singular values of a0 from DGESVDOCL with JOBU = JOBVT = 'N', the
  ! yardstick of every other call.
  subroutine reference_values(m, n, a0, sref)
    integer, intent(in) :: m, n
    real(dp), intent(in) :: a0(:, :)
    real(dp), intent(out) :: sref(:)
    real(dp), allocatable :: a(:, :), work(:)
    real(dp) :: u(1, 1), vt(1, 1), wq(1)
    integer(c_int) :: info
    character(len=64) :: label

    write(label, '(2(a,i0))') 'dgesvdocl N,N reference m=', m, ' n=', n
    allocate(a(m, n))
    a = a0
    call dgesvdocl('N', 'N', m, n, a, m, sref, u, 1, vt, 1, wq, -1, info)
    allocate(work(max(1, int(wq(1)))))
    call dgesvdocl('N', 'N', m, n, a, m, sref, u, 1, vt, 1, work, size(work), info)
    call check_info(info, 0, label)
  end subroutine reference_values

  ! The checks every successful SVD gets. uu: the columns of U computed
  ! (none if have_u is false), vv: the rows of V^T computed.
  subroutine check_svd(label, a0, s, sref, have_u, uu, have_v, vv)
    character(len=*), intent(in) :: label
    real(dp), intent(in) :: a0(:, :), s(:), sref(:), uu(:, :), vv(:, :)
    logical, intent(in) :: have_u, have_v
    integer :: m, n, mn, i, k
    real(dp), allocatable :: r(:, :), g(:, :)
    logical :: ok

    m = size(a0, 1)
    n = size(a0, 2)
    mn = min(m, n)

    ok = all(ieee_is_finite(s)) .and. all(s >= 0.0_dp)
    do i = 1, mn - 1
       ok = ok .and. s(i) >= s(i + 1)
    end do
    call check(ok, label, 'singular values not finite, non-negative, non-increasing')
    call check_ratio(maxval(abs(s - sref)) / (eps * sref(1) * max(m, n)), label, &
         'max |S - S(N,N)| / (s1 max(m,n) eps)')

    if (have_u) then
       g = -matmul(transpose(uu), uu)
       do i = 1, size(g, 1)
          g(i, i) = g(i, i) + 1.0_dp
       end do
       call check_ratio(norm1(g) / (m * eps), label, '||I - U^T U||_1 / (m eps)')
    end if
    if (have_v) then
       g = -matmul(vv, transpose(vv))
       do i = 1, size(g, 1)
          g(i, i) = g(i, i) + 1.0_dp
       end do
       call check_ratio(norm1(g) / (n * eps), label, '||I - V^T V||_1 / (n eps)')
    end if
    if (have_u .and. have_v) then
       allocate(r(m, n))
       r = a0
       do k = 1, mn
          do i = 1, n
             r(:, i) = r(:, i) - uu(:, k) * (s(k) * vv(k, i))
          end do
       end do
       call check_ratio(norm1(r) / (norm1(a0) * max(m, n) * eps), label, &
            '||A - U S V^T||_1 / (||A||_1 max(m,n) eps)')
    end if
  end subroutine check_svd

  ! -------------------------------------------------- DGESVDOCL, Fortran ABI

  subroutine fortran_case(jobu, jobvt, m, n, a0, sref, minimal)
    character(len=1), intent(in) :: jobu, jobvt
    integer, intent(in) :: m, n
    real(dp), intent(in) :: a0(:, :), sref(:)
    logical, intent(in) :: minimal
    integer :: mn, ucols, vrows, lda, ldu, ldvt, lwork
    integer(c_int) :: info
    real(dp), allocatable :: a(:, :), s(:), u(:, :), vt(:, :), work(:), uu(:, :), vv(:, :)
    real(dp) :: wq(2)
    logical :: ok
    character(len=160) :: label

    mn = min(m, n)
    ucols = vectors(jobu, m, mn)
    vrows = vectors(jobvt, n, mn)
    lda = m + 3
    ldu = 1
    if (ucols > 0 .and. .not. is_o(jobu)) ldu = m + 2
    ldvt = 1
    if (vrows > 0 .and. .not. is_o(jobvt)) ldvt = vrows + 1
    allocate(a(lda, n), s(mn + 1), u(ldu, max(1, ucols)), vt(ldvt, n))
    a = qnan
    a(1:m, 1:n) = a0
    s = sentinel
    u = sentinel
    vt = sentinel

    write(label, '(5a,5(a,i0))') 'dgesvdocl jobu=', jobu, ' jobvt=', jobvt, ' ', 'm=', m, &
         ' n=', n, ' lda=', lda, ' ldu=', ldu, ' ldvt=', ldvt
    wq = sentinel
    call dgesvdocl(jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, wq, -1, info)
    call check_info(info, 0, trim(label) // ' lwork=-1')
    if (info /= 0) return
    call check(wq(1) >= max(1, 3 * mn + max(m, n), 5 * mn) .and. same(wq(2), sentinel), &
         trim(label) // ' lwork=-1', 'WORK(1) below the minimum, or WORK(2) written')
    if (minimal) then
       lwork = max(1, 3 * mn + max(m, n), 5 * mn)
       label = trim(label) // ' lwork=' // str(lwork) // ' (min)'
    else
       lwork = int(wq(1))
       label = trim(label) // ' lwork=' // str(lwork) // ' (opt)'
    end if
    allocate(work(lwork + 1))
    work = sentinel

    call dgesvdocl(jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info)

    call check_info(info, 0, label)
    if (info /= 0) return
    ok = all(ieee_is_nan(a(m + 1:, :))) .and. same(s(mn + 1), sentinel) .and. &
         same(work(lwork + 1), sentinel)
    if (ucols > 0 .and. .not. is_o(jobu)) then
       ok = ok .and. all(same(u(m + 1:, :), sentinel))
    else
       ok = ok .and. all(same(u, sentinel))
    end if
    if (vrows > 0 .and. .not. is_o(jobvt)) then
       ok = ok .and. all(same(vt(vrows + 1:, :), sentinel))
    else
       ok = ok .and. all(same(vt, sentinel))
    end if
    call check(ok, label, 'wrote outside A(1:M,1:N), S(1:min), U, VT, WORK(1:LWORK)')

    if (is_o(jobu)) then
       uu = a(1:m, 1:mn)
    else if (ucols > 0) then
       uu = u(1:m, 1:ucols)
    else
       allocate(uu(0, 0))
    end if
    if (is_o(jobvt)) then
       vv = a(1:mn, 1:n)
    else if (vrows > 0) then
       vv = vt(1:vrows, 1:n)
    else
       allocate(vv(0, 0))
    end if
    call check_svd(label, a0, s(1:mn), sref, ucols > 0, uu, vrows > 0, vv)
  end subroutine fortran_case

  ! ------------------------------------------- lapack_ai_dgesvdocl (LAPACKE)

  subroutine lapacke_case(layout, jobu, jobvt, m, n, a0, sref)
    integer(c_int), intent(in) :: layout
    character(len=1), intent(in) :: jobu, jobvt
    integer, intent(in) :: m, n
    real(dp), intent(in) :: a0(:, :), sref(:)
    logical :: row
    integer :: mn, ucols, vrows, lda, ldu, ldvt, i, j
    integer(c_int) :: info
    real(dp), allocatable :: a(:), s(:), u(:), vt(:), superb(:), uu(:, :), vv(:, :)
    logical, allocatable :: inside(:)
    logical :: ok
    character(len=160) :: label

    row = layout == LAPACK_AI_ROW_MAJOR
    mn = min(m, n)
    ucols = vectors(jobu, m, mn)
    vrows = vectors(jobvt, n, mn)
    ! Every leading dimension padded beyond its minimum; 1 where the array
    ! is not referenced (and for row-major LDVT, LAPACKE's N even then).
    if (row) then
       lda = n + 2
       allocate(a(lda * m))
       ldu = 1
       if (ucols > 0 .and. .not. is_o(jobu)) ldu = ucols + 1
       allocate(u(max(1, ldu * m)))
       ldvt = n + 1
       allocate(vt(max(1, ldvt * vrows)))
    else
       lda = m + 3
       allocate(a(lda * n))
       ldu = 1
       if (ucols > 0 .and. .not. is_o(jobu)) ldu = m + 2
       allocate(u(max(1, ldu * ucols)))
       ldvt = 1
       if (vrows > 0 .and. .not. is_o(jobvt)) ldvt = vrows + 1
       allocate(vt(max(1, ldvt * n)))
    end if
    u = sentinel
    vt = sentinel
    allocate(s(mn + 1), superb(max(1, mn - 1) + 1), inside(size(a)))
    s = sentinel
    superb = sentinel
    a = qnan
    inside = .false.
    do j = 1, n
       do i = 1, m
          a(pos(lda, i, j, row)) = a0(i, j)
          inside(pos(lda, i, j, row)) = .true.
       end do
    end do

    write(label, '(a,a,4a,5(a,i0))') 'lapack_ai_dgesvdocl ', trim(merge('row-major', 'col-major', row)), &
         ' jobu=', jobu, ' jobvt=', jobvt, ' m=', m, ' n=', n, ' lda=', lda, ' ldu=', ldu, ' ldvt=', ldvt

    info = lapack_ai_dgesvdocl(layout, jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, superb)

    call check_info(info, 0, label)
    if (info /= 0) return

    ok = all(ieee_is_nan(pack(a, .not. inside))) .and. same(s(mn + 1), sentinel) .and. &
         same(superb(size(superb)), sentinel)
    allocate(uu(m, max(1, ucols)), vv(max(1, vrows), n))
    if (ucols > 0 .and. .not. is_o(jobu)) then
       do j = 1, ucols
          do i = 1, m
             uu(i, j) = u(pos(ldu, i, j, row))
             u(pos(ldu, i, j, row)) = sentinel
          end do
       end do
       ok = ok .and. all(same(u, sentinel))
    else if (is_o(jobu)) then
       do j = 1, ucols
          do i = 1, m
             uu(i, j) = a(pos(lda, i, j, row))
          end do
       end do
    end if
    if (ucols == 0 .or. is_o(jobu)) ok = ok .and. all(same(u, sentinel))
    if (vrows > 0 .and. .not. is_o(jobvt)) then
       do j = 1, n
          do i = 1, vrows
             vv(i, j) = vt(pos(ldvt, i, j, row))
             vt(pos(ldvt, i, j, row)) = sentinel
          end do
       end do
       ok = ok .and. all(same(vt, sentinel))
    else if (is_o(jobvt)) then
       do j = 1, n
          do i = 1, vrows
             vv(i, j) = a(pos(lda, i, j, row))
          end do
       end do
    end if
    if (vrows == 0 .or. is_o(jobvt)) ok = ok .and. all(same(vt, sentinel))
    call check(ok, label, 'wrote outside A(1:M,1:N), S(1:min), U, VT, SUPERB(1:min-1)')

    call check_svd(label, a0, s(1:mn), sref, ucols > 0, uu, vrows > 0, vv)
  end subroutine lapacke_case

  ! ------------------------------------------------------ illegal arguments

  ! DGESVDOCL reports an illegal argument as DGESVD does: XERBLA with its
  ! own name and the argument's position, then INFO = -position.
  subroutine test_illegal_fortran()
    integer, parameter :: m = 6, n = 4
    real(dp) :: a(m, n), a0(m, n), s(n), u(m, m), vt(n, n), work(200)
    integer(c_int) :: info

    call fill_random(a0)
    a = a0
    call illegal('X', 'A', m, n, m, m, n, 200, 1)
    call illegal('A', 'X', m, n, m, m, n, 200, 2)
    call illegal('O', 'O', m, n, m, m, n, 200, 2)
    call illegal('A', 'A', -1, n, m, m, n, 200, 3)
    call illegal('A', 'A', m, -1, m, m, n, 200, 4)
    call illegal('A', 'A', m, n, m - 1, m, n, 200, 6)
    call illegal('A', 'N', m, n, m, m - 1, n, 200, 9)
    call illegal('S', 'N', m, n, m, 0, n, 200, 9)
    call illegal('N', 'A', m, n, m, 1, n - 1, 200, 11)
    call illegal('N', 'S', m, n, m, 1, 0, 200, 11)
    call illegal('N', 'N', m, n, m, 1, 1, 1, 13)

  contains

    subroutine illegal(jobu, jobvt, mm, nn, lda, ldu, ldvt, lwork, position)
      character(len=1), intent(in) :: jobu, jobvt
      integer, intent(in) :: mm, nn, lda, ldu, ldvt, lwork, position
      integer :: calls0
      character(len=120) :: label

      write(label, '(5a,6(a,i0))') 'dgesvdocl illegal: jobu=', jobu, ' jobvt=', jobvt, ' ', &
           'm=', mm, ' n=', nn, ' lda=', lda, ' ldu=', ldu, ' ldvt=', ldvt, ' lwork=', lwork
      calls0 = xerbla_calls
      info = 12345
      a = a0
      ! The leading dimensions are illegal only as numbers: the arrays
      ! are big enough, so a routine that ignored the check could not crash.
      call dgesvdocl(jobu, jobvt, mm, nn, a, lda, s, u, ldu, vt, ldvt, work, lwork, info)
      call check_info(info, -position, label)
      call check(xerbla_calls == calls0 + 1 .and. xerbla_name == 'DGESVDOCL' .and. &
           xerbla_info == position, label, 'XERBLA not called once as XERBLA(''DGESVDOCL'', position)')
      call check(all(a == a0), label, 'A modified by a call with an illegal argument')
    end subroutine illegal

  end subroutine test_illegal_fortran

  ! lapack_ai_dgesvdocl returns -position of the C function's argument
  ! (the layout is 1, so DGESVDOCL's positions plus one) and never calls
  ! XERBLA.
  subroutine test_illegal_lapacke()
    integer, parameter :: m = 5, n = 3
    real(dp) :: a(m * n + 10), a0(m * n + 10), s(n), u(m * m + 10), vt(n * n + 10), superb(n)
    real(dp) :: x(m, n)
    integer(c_int), parameter :: col = LAPACK_AI_COL_MAJOR, row = LAPACK_AI_ROW_MAJOR

    call fill_random(x)
    a0 = 0.5_dp
    a0(1:m * n) = reshape(x, [m * n])

    call illegal(7, 'A', 'A', m, n, m, m, n, 1, 'layout 7')
    call illegal(0, 'N', 'N', m, n, m, 1, 1, 1, 'layout 0')
    call illegal(col, 'X', 'A', m, n, m, m, n, 2, '')
    call illegal(row, 'A', 'X', m, n, n, m, n, 3, '')
    call illegal(col, 'O', 'O', m, n, m, 1, 1, 3, '')
    call illegal(col, 'N', 'N', -1, n, m, 1, 1, 4, '')
    call illegal(row, 'N', 'N', m, -1, n, 1, n, 5, '')
    call illegal(col, 'N', 'N', m, n, m - 1, 1, 1, 7, 'lda < m')
    call illegal(row, 'N', 'N', m, n, n - 1, 1, n, 7, 'lda < n')
    call illegal(col, 'A', 'N', m, n, m, m - 1, 1, 10, 'ldu < m')
    call illegal(row, 'A', 'N', m, n, n, m - 1, n, 10, 'ldu < m')
    call illegal(row, 'S', 'N', m, n, n, n - 1, n, 10, 'ldu < min(m,n)')
    call illegal(col, 'N', 'A', m, n, m, 1, n - 1, 12, 'ldvt < n')
    call illegal(col, 'N', 'S', m, n, m, 1, n - 1, 12, 'ldvt < min(m,n)')
    call illegal(row, 'N', 'S', m, n, n, 1, n - 1, 12, 'ldvt < n')
    call illegal(row, 'N', 'N', m, n, n, 1, n - 1, 12, 'ldvt < n, jobvt=N')
    ! A NaN inside A is argument 6; the same NaN outside A(1:M,1:N) is
    ! padding and must be ignored (the padded cases above cover that).
    a0(2 + m) = qnan
    call illegal(col, 'N', 'N', m, n, m, 1, 1, 6, 'NaN in A')
    a0(2 + m) = 0.25_dp
    a0(2 * n + 3) = qnan
    call illegal(row, 'S', 'S', m, n, n, n, n, 6, 'NaN in A')

  contains

    subroutine illegal(layout, jobu, jobvt, mm, nn, lda, ldu, ldvt, position, why)
      integer(c_int), intent(in) :: layout
      character(len=1), intent(in) :: jobu, jobvt
      integer, intent(in) :: mm, nn, lda, ldu, ldvt, position
      character(len=*), intent(in) :: why
      integer :: calls0
      integer(c_int) :: info
      character(len=160) :: label

      write(label, '(a,i0,4a,5(a,i0),2a)') 'lapack_ai_dgesvdocl illegal: layout=', layout, &
           ' jobu=', jobu, ' jobvt=', jobvt, ' m=', mm, ' n=', nn, ' lda=', lda, ' ldu=', ldu, &
           ' ldvt=', ldvt, ' ', why
      calls0 = xerbla_calls
      a = a0
      info = lapack_ai_dgesvdocl(layout, jobu, jobvt, mm, nn, a, lda, s, u, ldu, vt, ldvt, superb)
      call check_info(info, -position, label)
      call check(xerbla_calls == calls0, label, 'XERBLA called')
      call check(all(same(a, a0)), label, 'A modified by a call with an illegal argument')
    end subroutine illegal

  end subroutine test_illegal_lapacke

  ! ------------------------------------------------------ version and info

  subroutine test_strings(expected)
    character(len=*), intent(in) :: expected
    character(len=:), allocatable :: version, info
    integer :: dots, i

    version = lapack_ai_version()
    info = lapack_ai_info()
    write(*, '(2a)') 'lapack_ai_version(): ', version
    write(*, '(a)') 'lapack_ai_info():'
    write(*, '(a)') info

    dots = 0
    do i = 1, len(version)
       if (version(i:i) == '.') dots = dots + 1
    end do
    call check(len(version) >= 5 .and. verify(version, '0123456789.') == 0 .and. dots == 2, &
         'lapack_ai_version', 'not MAJOR.MINOR.PATCH: "' // version // '"')
    if (len_trim(expected) > 0) then
       call check(version == trim(expected), 'lapack_ai_version', &
            '"' // version // '" is not the package version "' // trim(expected) // '"')
    end if
    call check(index(info, 'lapack-ai ' // version // new_line('a')) == 1, 'lapack_ai_info', &
         'does not start with the line "lapack-ai <version>"')
    call check(index(info, 'cpu dgesvd_') > 0, 'lapack_ai_info', 'no "cpu dgesvd_" line')
    call check(index(info, 'mode: ') > 0 .and. index(info, 'device: ') > 0, 'lapack_ai_info', &
         'no mode or device line')
  end subroutine test_strings

  ! ------------------------------------------------------ the README lines

  subroutine test_readme_example()
    integer, parameter :: m = 8, n = 5
    double precision :: a(m, n), s1(n), s2(n)
    integer :: info1, info2

    call fill_random(a)
    call readme_example(m, n, a, s1, s2, info1, info2)
    call check(info1 == 0 .and. info2 == 0, 'README example', 'INFO /= 0')
    call check_ratio(maxval(abs(s1 - s2)) / (eps * s1(1) * m), 'README example', &
         'max |S(dgesvdocl) - S(lapack_ai_dgesvdocl)| / (s1 m eps)')
  end subroutine test_readme_example

  ! The SVD of a, once each way: s1, info1 through DGESVDOCL, s2, info2
  ! through lapack_ai_dgesvdocl. a is left unchanged.
  subroutine readme_example(m, n, a, s1, s2, info1, info2)
    ! [readme:fortran]
    use lapack_ai
    integer, intent(in) :: m, n
    double precision, intent(in) :: a(m, n)
    double precision, intent(out) :: s1(min(m, n)), s2(min(m, n))
    integer, intent(out) :: info1, info2
    double precision :: a1(m, n), a2(m, n), u(m, min(m, n)), vt(min(m, n), n)
    double precision :: work(5 * (m + n)), superb(min(m, n))

    a1 = a
    a2 = a
    ! As DGESVD: U, S and V^T of a1 (overwritten), caller's workspace.
    call dgesvdocl('S', 'S', m, n, a1, m, s1, u, m, vt, min(m, n), work, size(work), info1)
    ! As LAPACKE_dgesvd: workspace allocated inside, INFO returned.
    info2 = lapack_ai_dgesvdocl(LAPACK_AI_COL_MAJOR, 'S', 'S', m, n, a2, m, s2, u, m, &
                                vt, min(m, n), superb)
    ! [readme:fortran-end]
  end subroutine readme_example

end module svd_checks

program module_dgesvdocl
  use lapack_ai, only: LAPACK_AI_ROW_MAJOR, LAPACK_AI_COL_MAJOR
  use svd_checks
  implicit none

  character(len=1), parameter :: jobs(4) = ['A', 'S', 'O', 'N']
  integer, parameter :: nshape = 8
  integer, parameter :: ms(nshape) = [7, 5, 13, 1, 3, 1, 24, 2]
  integer, parameter :: ns(nshape) = [5, 7, 13, 3, 1, 1, 9, 2]
  integer :: ish, iu, iv, m, n, layout
  real(dp), allocatable :: a0(:, :), sref(:)
  character(len=32) :: expected_version

  eps = epsilon(1.0_dp) * 0.5_dp
  qnan = ieee_value(1.0_dp, ieee_quiet_nan)
  call set_seed(expected_version)
  call test_strings(expected_version)

  do ish = 1, nshape
     m = ms(ish)
     n = ns(ish)
     allocate(a0(m, n), sref(min(m, n)))
     call fill_random(a0)
     call reference_values(m, n, a0, sref)
     do iu = 1, 4
        do iv = 1, 4
           if (jobs(iu) == 'O' .and. jobs(iv) == 'O') cycle
           call fortran_case(jobs(iu), jobs(iv), m, n, a0, sref, .false.)
           call fortran_case(jobs(iu), jobs(iv), m, n, a0, sref, .true.)
           do layout = LAPACK_AI_ROW_MAJOR, LAPACK_AI_COL_MAJOR
              call lapacke_case(layout, jobs(iu), jobs(iv), m, n, a0, sref)
           end do
        end do
     end do
     deallocate(a0, sref)
  end do
  ! Job letters are case-insensitive, as in LAPACK.
  allocate(a0(6, 4), sref(4))
  call fill_random(a0)
  call reference_values(6, 4, a0, sref)
  call fortran_case('s', 'o', 6, 4, a0, sref, .false.)
  call lapacke_case(LAPACK_AI_ROW_MAJOR, 'o', 'a', 6, 4, a0, sref)
  call lapacke_case(LAPACK_AI_COL_MAJOR, 'a', 's', 6, 4, a0, sref)

  call test_illegal_fortran()
  call test_illegal_lapacke()
  call test_readme_example()

  write(*, '(i0,a,i0,a)') npass, ' passed, ', nfail, ' failed'
  if (nfail > 0) stop 1
end program module_dgesvdocl

! Records illegal-argument reports instead of stopping, as LAPACK's own
! test programs do; lapack-ai calls the process's XERBLA, so this one.
subroutine xerbla(srname, info)
  use xerbla_record
  implicit none
  character(len=*), intent(in) :: srname
  integer, intent(in) :: info
  xerbla_calls = xerbla_calls + 1
  xerbla_name = srname
  xerbla_info = info
end subroutine xerbla
