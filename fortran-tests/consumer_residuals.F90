! consumer_residuals.f90 -- liblapack_ai.so as a plain Fortran program sees it.
!
! Build and run (no other LAPACK/BLAS linked):
!   gfortran -O2 fortran-tests/consumer_residuals.F90 -L target/release -llapack_ai \
!       -Wl,-rpath,$PWD/target/release -o consumer_residuals
!   ./consumer_residuals [seed]
! As an unmodified program against the system LAPACK, with the library
! preloaded (DGESVDOCL exists only in lapack-ai, so it is left out):
!   gfortran -O2 -DWITHOUT_DGESVDOCL fortran-tests/consumer_residuals.F90 -llapack -lblas
!   LD_PRELOAD=target/release/liblapack_ai.so ./a.out
!
! Exercises the exported DGEMM, DGESV, DGESVD, DGESVDOCL and DGESDD through
! explicit interfaces with default INTEGER / DOUBLE PRECISION / CHARACTER*1
! arguments, and judges the results with residual ratios in the style of
! LAPACK's TESTING (dget01, dget02, dbdt01, dort01), EPS = dlamch('E') =
! epsilon(1d0)/2. Every helper (products, norms) is written here: nothing but
! the library under test is linked.
!
! Inputs are random_number values in (-1,1), shifted away from zero
! (|x| in [0.1, 0.99)), from a fixed seed that is printed (an integer command
! line argument replaces the default base seed). Leading dimensions are
! padded; padding of input arrays holds NaN (reading it would poison the
! result) and padding/unused parts of output arrays hold a sentinel; both
! must come back unchanged.
!
! Output: one line per failing check ("FAIL <case>: <what> ratio=..."), a
! summary line per routine, and finally exactly one line
! "<N> passed, <N> failed" (counts of checks); STOP 1 if any check failed.

program consumer_residuals
  use, intrinsic :: ieee_arithmetic, only: ieee_value, ieee_quiet_nan, ieee_positive_inf, &
       ieee_is_nan, ieee_is_finite
  implicit none

  integer, parameter :: dp = kind(1.0d0)
  ! Threshold of the LAPACK-style ratios (LAPACK's TESTING uses 30 too).
  real(dp), parameter :: thresh = 30.0_dp
  ! Unused parts of output arrays and padding rows of C.
  real(dp), parameter :: out_sentinel = -1.2345678901234567e123_dp
  integer, parameter :: int_sentinel = -123456789

  real(dp), save :: eps = 0.0_dp, qnan = 0.0_dp, pinf = 0.0_dp
  integer, save :: npass = 0, nfail = 0

  interface
     subroutine dgemm(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
       character(len=1), intent(in) :: transa, transb
       integer, intent(in) :: m, n, k, lda, ldb, ldc
       double precision, intent(in) :: alpha, beta
       double precision, intent(in) :: a(lda, *), b(ldb, *)
       double precision, intent(inout) :: c(ldc, *)
     end subroutine dgemm

     subroutine dgesv(n, nrhs, a, lda, ipiv, b, ldb, info)
       integer, intent(in) :: n, nrhs, lda, ldb
       double precision, intent(inout) :: a(lda, *), b(ldb, *)
       integer, intent(out) :: ipiv(*)
       integer, intent(out) :: info
     end subroutine dgesv

     subroutine dgesvd(jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info)
       character(len=1), intent(in) :: jobu, jobvt
       integer, intent(in) :: m, n, lda, ldu, ldvt, lwork
       double precision, intent(inout) :: a(lda, *), s(*), u(ldu, *), vt(ldvt, *), work(*)
       integer, intent(out) :: info
     end subroutine dgesvd

#ifndef WITHOUT_DGESVDOCL
     subroutine dgesvdocl(jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info)
       character(len=1), intent(in) :: jobu, jobvt
       integer, intent(in) :: m, n, lda, ldu, ldvt, lwork
       double precision, intent(inout) :: a(lda, *), s(*), u(ldu, *), vt(ldvt, *), work(*)
       integer, intent(out) :: info
     end subroutine dgesvdocl
#endif

     subroutine dgesdd(jobz, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork, info)
       character(len=1), intent(in) :: jobz
       integer, intent(in) :: m, n, lda, ldu, ldvt, lwork
       double precision, intent(inout) :: a(lda, *), s(*), u(ldu, *), vt(ldvt, *), work(*)
       integer, intent(inout) :: iwork(*)
       integer, intent(out) :: info
     end subroutine dgesdd
  end interface

  call init_constants()
  call set_seed()
  call test_dgemm()
  call test_dgesv()
  call test_svd()
  write(*, '(i0,a,i0,a)') npass, ' passed, ', nfail, ' failed'
  if (nfail > 0) stop 1

contains

  ! ------------------------------------------------------------------ setup

  subroutine init_constants()
    eps = epsilon(1.0_dp) * 0.5_dp
    qnan = ieee_value(1.0_dp, ieee_quiet_nan)
    pinf = ieee_value(1.0_dp, ieee_positive_inf)
  end subroutine init_constants

  subroutine set_seed()
    integer :: nseed, i, base, ios
    integer, allocatable :: seed(:)
    character(len=64) :: arg

    base = 20240611
    if (command_argument_count() >= 1) then
       call get_command_argument(1, arg)
       read(arg, *, iostat=ios) i
       if (ios == 0) base = i
    end if
    call random_seed(size=nseed)
    allocate(seed(nseed))
    do i = 1, nseed
       seed(i) = base + 7919 * (i - 1)
    end do
    call random_seed(put=seed)
    write(*, '(a,i0,a,i0,a)', advance='no') 'seed: base ', base, ', random_seed(put=[', seed(1)
    do i = 2, nseed
       write(*, '(a,i0)', advance='no') ',', seed(i)
    end do
    write(*, '(a)') '])'
  end subroutine set_seed

  ! ------------------------------------------------------------ bookkeeping

  subroutine check_true(ok, label, what)
    logical, intent(in) :: ok
    character(len=*), intent(in) :: label, what
    if (ok) then
       npass = npass + 1
    else
       nfail = nfail + 1
       write(*, '(4a)') 'FAIL ', trim(label), ': ', what
    end if
  end subroutine check_true

  ! Passes when ratio <= limit; a NaN ratio fails.
  subroutine check_ratio(ratio, limit, label, what)
    real(dp), intent(in) :: ratio, limit
    character(len=*), intent(in) :: label, what
    if (ratio <= limit) then
       npass = npass + 1
    else
       nfail = nfail + 1
       write(*, '(4a,es11.4,a,es9.2)') 'FAIL ', trim(label), ': ', what // ' ratio=', ratio, &
            ' limit=', limit
    end if
  end subroutine check_ratio

  subroutine section_summary(name, p0, f0)
    character(len=*), intent(in) :: name
    integer, intent(in) :: p0, f0
    write(*, '(a,a,i0,a,i0,a)') name, ': ', (npass - p0) + (nfail - f0), ' checks, ', &
         nfail - f0, ' failed'
  end subroutine section_summary

  ! -------------------------------------------------------------- utilities

  ! x(1:m,1:n) := random values in (-1,1) with |x| >= 0.1.
  subroutine fill_random(x, m, n)
    real(dp), intent(inout) :: x(:, :)
    integer, intent(in) :: m, n
    integer :: i, j
    real(dp) :: r, v
    do j = 1, n
       do i = 1, m
          call random_number(r)
          v = 2.0_dp * r - 1.0_dp
          x(i, j) = sign(0.1_dp + 0.89_dp * abs(v), v)
       end do
    end do
  end subroutine fill_random

  ! Equal, or both NaN.
  elemental logical function same(x, y)
    real(dp), intent(in) :: x, y
    same = (x == y) .or. (ieee_is_nan(x) .and. ieee_is_nan(y))
  end function same

  ! Matrix 1-norm of x(1:m,1:n); NaN if any entry is not finite.
  real(dp) function norm1(x, m, n)
    real(dp), intent(in) :: x(:, :)
    integer, intent(in) :: m, n
    integer :: j
    norm1 = 0.0_dp
    if (.not. all(ieee_is_finite(x(1:m, 1:n)))) then
       norm1 = qnan
       return
    end if
    do j = 1, n
       norm1 = max(norm1, sum(abs(x(1:m, j))))
    end do
  end function norm1

  ! ||I - Q^T Q||_1 for q(1:r,1:c) (orthonormal columns).
  real(dp) function orth_cols_resid(q, r, c)
    real(dp), intent(in) :: q(:, :)
    integer, intent(in) :: r, c
    real(dp), allocatable :: g(:, :)
    integer :: i, j
    allocate(g(c, c))
    do j = 1, c
       do i = 1, c
          g(i, j) = -dot(q(1:r, i), q(1:r, j))
       end do
       g(j, j) = g(j, j) + 1.0_dp
    end do
    orth_cols_resid = norm1(g, c, c)
  end function orth_cols_resid

  ! ||I - V V^T||_1 for v(1:r,1:c) (orthonormal rows).
  real(dp) function orth_rows_resid(v, r, c)
    real(dp), intent(in) :: v(:, :)
    integer, intent(in) :: r, c
    real(dp), allocatable :: g(:, :)
    integer :: i, j
    allocate(g(r, r))
    do j = 1, r
       do i = 1, r
          g(i, j) = -dot(v(i, 1:c), v(j, 1:c))
       end do
       g(j, j) = g(j, j) + 1.0_dp
    end do
    orth_rows_resid = norm1(g, r, r)
  end function orth_rows_resid

  real(dp) function dot(x, y)
    real(dp), intent(in) :: x(:), y(:)
    integer :: i
    dot = 0.0_dp
    do i = 1, size(x)
       dot = dot + x(i) * y(i)
    end do
  end function dot

  ! ------------------------------------------------------------------ DGEMM

  subroutine test_dgemm()
    integer, parameter :: sizes(5) = [1, 2, 7, 13, 31]
    character(len=1), parameter :: tr(3) = ['N', 'T', 'C'], trl(3) = ['n', 't', 'c']
    real(dp), parameter :: alphas(3) = [1.0_dp, -0.7_dp, 0.3_dp]
    real(dp), parameter :: betas(4) = [1.0_dp, -0.7_dp, 0.3_dp, 0.0_dp]
    integer :: ia, ib, im, in, ik, ial, ibe, p0, f0

    p0 = npass
    f0 = nfail
    do ia = 1, 3
       do ib = 1, 3
          do im = 1, size(sizes)
             do in = 1, size(sizes)
                do ik = 1, size(sizes)
                   do ial = 1, size(alphas)
                      do ibe = 1, size(betas)
                         call gemm_case(tr(ia), tr(ib), sizes(im), sizes(in), sizes(ik), &
                              alphas(ial), betas(ibe))
                      end do
                   end do
                end do
             end do
          end do
          ! Lower-case TRANSA/TRANSB.
          call gemm_case(trl(ia), trl(ib), 7, 13, 2, -0.7_dp, 0.3_dp)
          call gemm_case(trl(ia), trl(ib), 31, 1, 13, 0.3_dp, 0.0_dp)
          call gemm_case(trl(ia), trl(ib), 2, 7, 1, 1.0_dp, 1.0_dp)
       end do
    end do
    call section_summary('dgemm', p0, f0)
  end subroutine test_dgemm

  subroutine gemm_case(ta, tb, m, n, k, alpha, beta)
    character(len=1), intent(in) :: ta, tb
    integer, intent(in) :: m, n, k
    real(dp), intent(in) :: alpha, beta
    logical :: nota, notb
    integer :: ra, ca, rb, cb, lda, ldb, ldc, i, j, l
    real(dp), allocatable :: a(:, :), b(:, :), c(:, :), a0(:, :), b0(:, :), c0(:, :)
    real(dp) :: s, sabs, x, y, ref, bound, r, ratio
    character(len=200) :: label

    nota = (ta == 'N' .or. ta == 'n')
    notb = (tb == 'N' .or. tb == 'n')
    if (nota) then
       ra = m; ca = k
    else
       ra = k; ca = m
    end if
    if (notb) then
       rb = k; cb = n
    else
       rb = n; cb = k
    end if
    lda = ra + 2
    ldb = rb + 3
    ldc = m + 1
    write(label, '(5a,3(a,i0),2(a,f4.1),3(a,i0))') 'dgemm transa=', ta, ' transb=', tb, ' ', &
         'm=', m, ' n=', n, ' k=', k, ' alpha=', alpha, ' beta=', beta, &
         ' lda=', lda, ' ldb=', ldb, ' ldc=', ldc

    allocate(a(lda, ca), b(ldb, cb), c(ldc, n))
    a = qnan
    b = qnan
    c = out_sentinel
    call fill_random(a, ra, ca)
    call fill_random(b, rb, cb)
    if (beta /= 0.0_dp) then
       call fill_random(c, m, n)
    else
       ! BETA = 0: C need not be set on input; none of this may leak.
       c(1:m, 1:n) = huge(1.0_dp)
       c(1, 1) = qnan
       if (m > 1 .or. n > 1) c(m, n) = -pinf
       if (m > 2) c(2, 1) = pinf
    end if
    allocate(a0, source=a)
    allocate(b0, source=b)
    allocate(c0, source=c)

    call dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)

    ratio = 0.0_dp
    do j = 1, n
       do i = 1, m
          s = 0.0_dp
          sabs = 0.0_dp
          do l = 1, k
             if (nota) then
                x = a0(i, l)
             else
                x = a0(l, i)
             end if
             if (notb) then
                y = b0(l, j)
             else
                y = b0(j, l)
             end if
             s = s + x * y
             sabs = sabs + abs(x * y)
          end do
          if (beta == 0.0_dp) then
             ref = alpha * s
             bound = 10.0_dp * k * eps * (abs(alpha) * sabs)
          else
             ref = alpha * s + beta * c0(i, j)
             bound = 10.0_dp * k * eps * (abs(alpha) * sabs + abs(beta) * abs(c0(i, j)))
          end if
          r = abs(c(i, j) - ref) / bound
          if (ieee_is_nan(r)) then
             ratio = pinf
          else
             ratio = max(ratio, r)
          end if
       end do
    end do
    call check_ratio(ratio, 1.0_dp, label, 'max |C - Cref| / (10 K eps (|alpha||A||B| + |beta||C|))')
    call check_true(all(same(a, a0)) .and. all(same(b, b0)), label, &
         'A or B (or their padding) modified')
    call check_true(all(same(c(m + 1:ldc, 1:n), c0(m + 1:ldc, 1:n))), label, &
         'padding rows of C modified')
  end subroutine gemm_case

  ! ------------------------------------------------------------------ DGESV

  subroutine test_dgesv()
    integer, parameter :: ns(4) = [1, 5, 17, 64], nrhss(2) = [1, 3]
    integer :: i, j, p0, f0
    p0 = npass
    f0 = nfail
    do i = 1, size(ns)
       do j = 1, size(nrhss)
          call gesv_case(ns(i), nrhss(j))
       end do
    end do
    do i = 2, size(ns)
       call gesv_singular(ns(i), .true.)
       call gesv_singular(ns(i), .false.)
    end do
    call section_summary('dgesv', p0, f0)
  end subroutine test_dgesv

  subroutine gesv_case(n, nrhs)
    integer, intent(in) :: n, nrhs
    integer :: lda, ldb, info, i, j, k, t
    integer, allocatable :: ipiv(:)
    real(dp), allocatable :: a(:, :), b(:, :), a0(:, :), b0(:, :), pa(:, :), r(:, :)
    real(dp) :: anorm, xnorm, lu, lik, ratio, tmp
    logical :: piv_ok
    character(len=120) :: label

    lda = n + 2
    ldb = n + 3
    write(label, '(4(a,i0))') 'dgesv n=', n, ' nrhs=', nrhs, ' lda=', lda, ' ldb=', ldb
    allocate(a(lda, n), b(ldb, nrhs), ipiv(n + 2))
    a = qnan
    b = qnan
    call fill_random(a, n, n)
    call fill_random(b, n, nrhs)
    ipiv = int_sentinel
    allocate(a0, source=a)
    allocate(b0, source=b)

    call dgesv(n, nrhs, a, lda, ipiv, b, ldb, info)

    call check_true(info == 0, label, 'INFO /= 0')
    if (info /= 0) return
    piv_ok = all(ipiv(n + 1:) == int_sentinel)
    do i = 1, n
       piv_ok = piv_ok .and. ipiv(i) >= i .and. ipiv(i) <= n
    end do
    call check_true(piv_ok, label, 'IPIV out of range (or IPIV(N+1:) written)')
    call check_true(all(same(a(n + 1:lda, :), a0(n + 1:lda, :))) .and. &
         all(same(b(n + 1:ldb, :), b0(n + 1:ldb, :))), label, 'padding of A or B modified')
    anorm = norm1(a0, n, n)

    ! dget01: ||L U - P A||_1 / (n ||A||_1 eps).
    if (piv_ok) then
       allocate(pa(n, n))
       pa = a0(1:n, 1:n)
       do i = 1, n
          do j = 1, n
             tmp = pa(i, j)
             pa(i, j) = pa(ipiv(i), j)
             pa(ipiv(i), j) = tmp
          end do
       end do
       allocate(r(n, n))
       do j = 1, n
          do i = 1, n
             lu = 0.0_dp
             do k = 1, min(i, j)
                if (k == i) then
                   lik = 1.0_dp
                else
                   lik = a(i, k)
                end if
                lu = lu + lik * a(k, j)
             end do
             r(i, j) = lu - pa(i, j)
          end do
       end do
       ratio = norm1(r, n, n) / (n * anorm * eps)
       call check_ratio(ratio, thresh, label, '||L U - P A||_1 / (n ||A||_1 eps)')
       deallocate(r)
    end if

    ! ||B - A X||_1 / (||A||_1 ||X||_1 n eps).
    allocate(r(n, nrhs))
    do t = 1, nrhs
       do i = 1, n
          r(i, t) = b0(i, t) - dot(a0(i, 1:n), b(1:n, t))
       end do
    end do
    xnorm = norm1(b, n, nrhs)
    ratio = norm1(r, n, nrhs) / (anorm * xnorm * n * eps)
    call check_ratio(ratio, thresh, label, '||B - A X||_1 / (||A||_1 ||X||_1 n eps)')
  end subroutine gesv_case

  ! An exactly singular matrix must give INFO > 0. Two equal rows (or
  ! columns) are exactly singular in floating point only if the elimination
  ! cancels them exactly; the multiplier is computed as a * (1/pivot), which
  ! is not always exactly 1 for a = pivot, so the duplicated row/column is
  ! given the unique largest entry 1.0 of column 1: it is the first pivot,
  ! 1/pivot is exact, and the duplicate cancels to exact zeros.
  subroutine gesv_singular(n, rows)
    integer, intent(in) :: n
    logical, intent(in) :: rows
    integer :: lda, ldb, info, p
    integer, allocatable :: ipiv(:)
    real(dp), allocatable :: a(:, :), b(:, :)
    character(len=120) :: label

    lda = n + 1
    ldb = n + 2
    allocate(a(lda, n), b(ldb, 2), ipiv(n))
    a = qnan
    b = qnan
    call fill_random(a, n, n)
    call fill_random(b, n, 2)
    if (rows) then
       a(1, 1) = 1.0_dp
       a(n, :) = a(1, :)
       write(label, '(a,i0,a)') 'dgesv singular n=', n, ' (rows 1 and n equal) nrhs=2'
    else
       p = n / 2 + 1
       a(p, 1) = 1.0_dp
       a(:, n) = a(:, 1)
       write(label, '(a,i0,a)') 'dgesv singular n=', n, ' (columns 1 and n equal) nrhs=2'
    end if
    call dgesv(n, 2, a, lda, ipiv, b, ldb, info)
    if (info > 0 .and. info <= n) then
       call check_true(.true., label, '')
    else
       write(label, '(a,a,i0)') trim(label), ' INFO=', info
       call check_true(.false., label, 'expected 0 < INFO <= N')
    end if
  end subroutine gesv_singular

  ! ------------------------------------------------- DGESVD/DGESVDOCL/DGESDD

  subroutine test_svd()
    integer, parameter :: nshape = 6
    integer, parameter :: ms(nshape) = [7, 5, 33, 9, 1, 6], ns(nshape) = [5, 7, 9, 33, 4, 6]
    character(len=1), parameter :: jobs(4) = ['A', 'S', 'O', 'N']
    character(len=9), parameter :: names(3) = ['dgesvd   ', 'dgesvdocl', 'dgesdd   ']
    integer :: ish, rtn, iu, iv, lw, m, n, p0(3), f0(3), pr, fr
    real(dp), allocatable :: a(:, :), sref(:)
    logical :: have_ref

    p0 = 0
    f0 = 0
    do ish = 1, nshape
       m = ms(ish)
       n = ns(ish)
       allocate(a(m, n), sref(min(m, n)))
       call fill_random(a, m, n)
       pr = npass
       fr = nfail
       call svd_reference(a, m, n, sref, have_ref)
       p0(1) = p0(1) + (npass - pr)
       f0(1) = f0(1) + (nfail - fr)
       do rtn = 1, 3
#ifdef WITHOUT_DGESVDOCL
          if (rtn == 2) cycle
#endif
          pr = npass
          fr = nfail
          do iu = 1, 4
             do iv = 1, 4
                if (rtn <= 2) then
                   if (iu == 3 .and. iv == 3) cycle
                else
                   if (iv > 1) cycle
                end if
                do lw = 1, 2
                   call svd_case(rtn, jobs(iu), jobs(iv), m, n, a, sref, have_ref, lw == 2)
                end do
             end do
          end do
          p0(rtn) = p0(rtn) + (npass - pr)
          f0(rtn) = f0(rtn) + (nfail - fr)
       end do
       deallocate(a, sref)
    end do
    do rtn = 1, 3
       write(*, '(a,a,i0,a,i0,a)') trim(names(rtn)), ': ', p0(rtn) + f0(rtn), ' checks, ', &
            f0(rtn), ' failed'
    end do
  end subroutine test_svd

  ! Reference singular values: DGESVD with JOBU = JOBVT = 'N', optimal LWORK.
  subroutine svd_reference(a_in, m, n, sref, ok)
    real(dp), intent(in) :: a_in(:, :)
    integer, intent(in) :: m, n
    real(dp), intent(out) :: sref(:)
    logical, intent(out) :: ok
    real(dp), allocatable :: a(:, :), work(:)
    real(dp) :: u(1, 1), vt(1, 1), wq(1)
    integer :: info, lwork
    character(len=80) :: label

    write(label, '(2(a,i0))') 'dgesvd reference (N,N) m=', m, ' n=', n
    allocate(a(m, n))
    a = a_in(1:m, 1:n)
    call dgesvd('N', 'N', m, n, a, m, sref, u, 1, vt, 1, wq, -1, info)
    lwork = max(1, int(wq(1)))
    if (info /= 0) lwork = max(1, 3 * min(m, n) + max(m, n), 5 * min(m, n))
    allocate(work(lwork))
    call dgesvd('N', 'N', m, n, a, m, sref, u, 1, vt, 1, work, lwork, info)
    ok = info == 0
    call check_true(ok, label, 'INFO /= 0')
  end subroutine svd_reference

  ! The documented minimal LWORK.
  integer function svd_min_lwork(rtn, job, m, n)
    integer, intent(in) :: rtn, m, n
    character(len=1), intent(in) :: job
    integer :: mn, mx
    mn = min(m, n)
    mx = max(m, n)
    if (rtn <= 2) then
       svd_min_lwork = max(1, 3 * mn + mx, 5 * mn)
    else
       select case (job)
       case ('N')
          svd_min_lwork = 3 * mn + max(mx, 7 * mn)
       case ('O')
          svd_min_lwork = 3 * mn + max(mx, 5 * mn * mn + 4 * mn)
       case ('S')
          svd_min_lwork = 4 * mn * mn + 7 * mn
       case default
          svd_min_lwork = 4 * mn * mn + 6 * mn + mx
       end select
       svd_min_lwork = max(1, svd_min_lwork)
    end if
  end function svd_min_lwork

  subroutine call_svd(rtn, jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork, info)
    integer, intent(in) :: rtn, m, n, lda, ldu, ldvt, lwork
    character(len=1), intent(in) :: jobu, jobvt
    real(dp), intent(inout) :: a(*), s(*), u(*), vt(*), work(*)
    integer, intent(inout) :: iwork(*)
    integer, intent(out) :: info
    select case (rtn)
    case (1)
       call dgesvd(jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info)
#ifndef WITHOUT_DGESVDOCL
    case (2)
       call dgesvdocl(jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info)
#endif
    case default
       call dgesdd(jobu, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork, info)
    end select
  end subroutine call_svd

  ! One SVD driver call: rtn 1 DGESVD, 2 DGESVDOCL (jobu, jobvt), 3 DGESDD
  ! (jobz = jobu). Workspace query first, then LWORK = the optimal size, or
  ! the documented minimum when minimal.
  subroutine svd_case(rtn, jobu, jobvt, m, n, a_in, sref, have_ref, minimal)
    integer, intent(in) :: rtn, m, n
    character(len=1), intent(in) :: jobu, jobvt
    real(dp), intent(in) :: a_in(:, :), sref(:)
    logical, intent(in) :: have_ref, minimal
    ! Where U / VT come back: 0 not computed, 1 in U / VT, 2 in A.
    integer :: uwhere, ucols, vwhere, vrows
    integer :: mn, mx, lda, ldu, ldvt, lwork, lwmin, info, i, j, k, liwork
    real(dp), allocatable :: a(:, :), a0(:, :), s(:), u(:, :), vt(:, :), work(:)
    real(dp), allocatable :: u0(:, :), vt0(:, :), s0(:), uu(:, :), vv(:, :), r(:, :)
    integer, allocatable :: iwork(:)
    real(dp) :: wq(2), ratio, t, anorm
    logical :: ok, untouched
    character(len=200) :: label
    character(len=16) :: lwdesc

    mn = min(m, n)
    mx = max(m, n)
    uwhere = 0; ucols = 0; vwhere = 0; vrows = 0
    if (rtn <= 2) then
       select case (jobu)
       case ('A'); uwhere = 1; ucols = m
       case ('S'); uwhere = 1; ucols = mn
       case ('O'); uwhere = 2; ucols = mn
       end select
       select case (jobvt)
       case ('A'); vwhere = 1; vrows = n
       case ('S'); vwhere = 1; vrows = mn
       case ('O'); vwhere = 2; vrows = mn
       end select
    else
       select case (jobu)
       case ('A'); uwhere = 1; ucols = m; vwhere = 1; vrows = n
       case ('S'); uwhere = 1; ucols = mn; vwhere = 1; vrows = mn
       case ('O')
          if (m >= n) then
             uwhere = 2; ucols = mn; vwhere = 1; vrows = n
          else
             uwhere = 1; ucols = m; vwhere = 2; vrows = mn
          end if
       end select
    end if
    lda = m + 2
    ldu = 1
    if (uwhere == 1) ldu = m + 1
    ldvt = 1
    if (vwhere == 1) ldvt = vrows + 1
    liwork = 8 * mn

    ! U and VT are allocated with the leading dimensions passed (1 when not
    ! referenced: then they must come back unchanged).
    allocate(a(lda, n), u(ldu, max(1, m)), vt(ldvt, n), s(mn + 2), iwork(liwork + 2))
    a = qnan
    a(1:m, 1:n) = a_in(1:m, 1:n)
    u = out_sentinel
    vt = out_sentinel
    s = out_sentinel
    iwork = int_sentinel
    allocate(a0, source=a)
    allocate(u0, source=u)
    allocate(vt0, source=vt)
    allocate(s0, source=s)
    lwmin = svd_min_lwork(rtn, jobu, m, n)

    ! Workspace query.
    if (rtn == 3) then
       write(label, '(a,a,2(a,i0),3(a,i0),a)') 'dgesdd jobz=', jobu, ' m=', m, ' n=', n, &
            ' lda=', lda, ' ldu=', ldu, ' ldvt=', ldvt, ' lwork=-1'
    else
       write(label, '(a,a,a,a,a,2(a,i0),3(a,i0),a)') trim(merge('dgesvd   ', 'dgesvdocl', rtn == 1)), &
            ' jobu=', jobu, ' jobvt=', jobvt, ' m=', m, ' n=', n, &
            ' lda=', lda, ' ldu=', ldu, ' ldvt=', ldvt, ' lwork=-1'
    end if
    wq = out_sentinel
    call call_svd(rtn, jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, wq, -1, iwork, info)
    call check_true(info == 0, label, 'workspace query INFO /= 0')
    ok = info == 0 .and. wq(1) >= max(1, 5 * mn) .and. wq(1) == aint(wq(1)) .and. &
         wq(1) < 1.0e8_dp .and. same(wq(2), out_sentinel)
    call check_true(ok, label, 'workspace query: WORK(1) not a plausible size (or WORK(2) written)')
    call check_true(all(same(a, a0)) .and. all(same(u, u0)) .and. all(same(vt, vt0)) .and. &
         all(same(s, s0)), label, 'workspace query modified A, S, U or VT')

    if (minimal .or. .not. ok) then
       lwork = lwmin
       write(lwdesc, '(i0,a)') lwork, ' (min)'
    else
       lwork = int(wq(1))
       write(lwdesc, '(i0,a)') lwork, ' (opt)'
    end if
    label = label(1:index(label, 'lwork=') + 5) // lwdesc
    allocate(work(lwork + 3))
    work = out_sentinel
    a = a0

    call call_svd(rtn, jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork, info)

    if (info /= 0) then
       write(label, '(a,a,i0)') trim(label), ' INFO=', info
       call check_true(.false., label, 'INFO /= 0')
       return
    end if
    call check_true(.true., label, '')

    ! Nothing outside the documented outputs may change.
    untouched = all(same(a(m + 1:lda, :), a0(m + 1:lda, :))) .and. &
         all(same(s(mn + 1:), s0(mn + 1:))) .and. all(same(work(lwork + 1:), out_sentinel)) .and. &
         all(iwork(liwork + 1:) == int_sentinel)
    if (uwhere == 1) then
       untouched = untouched .and. all(same(u(m + 1:, :), u0(m + 1:, :))) .and. &
            all(same(u(:, ucols + 1:), u0(:, ucols + 1:)))
    else
       untouched = untouched .and. all(same(u, u0))
    end if
    if (vwhere == 1) then
       untouched = untouched .and. all(same(vt(vrows + 1:, :), vt0(vrows + 1:, :)))
    else
       untouched = untouched .and. all(same(vt, vt0))
    end if
    call check_true(untouched, label, 'wrote outside S(1:min), U, VT, A(1:M,:), WORK(1:LWORK), IWORK')

    ! Singular values: finite, non-negative, non-increasing.
    ok = all(ieee_is_finite(s(1:mn))) .and. all(s(1:mn) >= 0.0_dp)
    do i = 1, mn - 1
       ok = ok .and. s(i) >= s(i + 1)
    end do
    call check_true(ok, label, 'singular values not finite, non-negative and non-increasing')

    ! Equal to those of the JOBU = JOBVT = 'N' DGESVD call.
    if (have_ref) then
       ratio = 0.0_dp
       do i = 1, mn
          t = abs(s(i) - sref(i))
          if (ieee_is_nan(t)) t = pinf
          ratio = max(ratio, t)
       end do
       ratio = ratio / (eps * sref(1) * mx)
       call check_ratio(ratio, thresh, label, 'max |S - S(N,N)| / (s1 max(m,n) eps)')
    end if

    ! The singular vectors computed.
    if (uwhere == 1) then
       uu = u(1:m, 1:ucols)
    else if (uwhere == 2) then
       uu = a(1:m, 1:ucols)
    end if
    if (vwhere == 1) then
       vv = vt(1:vrows, 1:n)
    else if (vwhere == 2) then
       vv = a(1:vrows, 1:n)
    end if
    if (uwhere /= 0) then
       ratio = orth_cols_resid(uu, m, ucols) / (m * eps)
       call check_ratio(ratio, thresh, label, '||I - U^T U||_1 / (m eps)')
    end if
    if (vwhere /= 0) then
       ratio = orth_rows_resid(vv, vrows, n) / (n * eps)
       call check_ratio(ratio, thresh, label, '||I - VT VT^T||_1 / (n eps)')
    end if
    if (uwhere /= 0 .and. vwhere /= 0) then
       ! dbdt01-style: ||A - U S VT||_1 / (||A||_1 max(m,n) eps).
       allocate(r(m, n))
       do j = 1, n
          do i = 1, m
             t = a_in(i, j)
             do k = 1, mn
                t = t - uu(i, k) * s(k) * vv(k, j)
             end do
             r(i, j) = t
          end do
       end do
       anorm = norm1(a_in, m, n)
       ratio = norm1(r, m, n) / (anorm * mx * eps)
       call check_ratio(ratio, thresh, label, '||A - U S VT||_1 / (||A||_1 max(m,n) eps)')
    end if
  end subroutine svd_case

end program consumer_residuals
