! svd_accuracy.f90 -- DGESVDOCL judged the way LAPACK's SVD tests judge
! DGESVD, on matrices whose singular values are known exactly because
! tmglib's generator DLATMS built them (A = U0 * diag(D) * V0^T with random
! orthogonal U0 and V0): the computed S is compared with D, never with
! another SVD.
!
! Build and run (lapack-ai FIRST on the link line, so that DGESVDOCL, DGESVD
! and DGEMM resolve to it; tmglib and the system LAPACK/BLAS serve the rest):
!   gfortran -O2 fortran-tests/svd_accuracy.f90 -L target/release -llapack_ai \
!       -Wl,-rpath,$PWD/target/release -ltmglib -llapack -lblas -o svd_accuracy
!   ./svd_accuracy [SIZE ...] [seed=I1,I2,I3,I4] [jobs=XY,XY,...]
! Each SIZE is N (an N x N matrix) or MxN; they are added to the built-in
! shapes 1x1, 7x5, 5x7, 40x40, 97x31, 31x97, 150x150 (e.g.
! `svd_accuracy 1024 2048 4000x1000` on the GPU machine). seed= replaces
! the default ISEED of DLATMS (0..4095 each, I4 odd). jobs= limits the
! (JOBU, JOBVT) pairs for the SIZE shapes (e.g. jobs=AA,NN at 8192); the
! built-in shapes always run every pair. The run is deterministic for a
! given seed and size list; the seed is printed.
!
! Shapes with min(M,N) >= 512 are not built by DLATMS, whose random
! orthogonal factors (DLAGGE, Householder reflectors applied one at a time)
! take hours at 8192: D comes from DLATM1 (the generator DLATMS uses, same
! modes) and A = U0 * diag(D) * V0^T with U0, V0 the Q factors (DGEQRF,
! DORGQR) of Gaussian matrices (DLARNV), generated once per shape.
!
! Matrix classes (DLATMS with DIST='N', SYM='N', KL=M-1, KU=N-1, PACK='N';
! r = min(M,N)):
!   random          MODE=5, COND=10, DMAX=1: D log-uniform in (0.1, 1),
!                   in random order (well-conditioned).
!   graded          MODE=3, COND=1e12, DMAX=1: D(i) = 1e12**(-(i-1)/(r-1)),
!                   geometric from 1 down to 1e-12.
!   rank-deficient  MODE=0 (D given): D(i) = 1/i for odd i, exactly 0 for
!                   even i -- rank ceil(r/2), zeros interleaved.
!   clustered       MODE=0 (D given): D = 1 (exactly equal) except up to
!                   three distinct values, 10 at D(r), 1e-3 at D(1), 3 at
!                   D(r/2), when r is large enough to hold them.
!   scaled 1e-150   the random class, the whole matrix times 1e-150 (and D
!   scaled 1e+150   with it), then times 1e+150: outside DGESVD's safe
!                   range, where it must scale internally.
!
! For each matrix and every legal (JOBU, JOBVT) in {A,S,O,N} x {A,S,O,N}
! (not both 'O'), with padded leading dimensions (LDA = M+1, NaN in the
! padding; LDU = M+2, LDVT = N+1 or r+1 when referenced, 1 when not):
!   - the workspace query (LWORK = -1) returns INFO = 0, and the call with
!     LWORK = the optimal size WORK(1) returns INFO = 0 (otherwise the other
!     checks of that call are skipped and it counts as one failure);
!   - S is non-negative and non-increasing;
!   - max |S(i) - D(i)| / (max(M,N) * ulp * D(1)) < 30, D sorted;
!   - when U and V^T are both available (from U/VT, or from A for 'O' as
!     DGESVD documents: the first r columns of U, or the first r rows of
!     V^T, overwrite A):  ||A - U*diag(S)*VT||_1 / (||A||_1 * max(M,N) * ulp)
!     < 30;
!   - for a computed U (k = M or r columns): ||I - U^T U||_1 / (M * ulp) < 30;
!     for a computed V^T (k rows): ||I - VT VT^T||_1 / (N * ulp) < 30.
! ulp = DLAMCH('Precision') = 2**-52, as LAPACK's DDRVBD uses; 30 is its
! threshold. Products in the checks go through DGEMM, as in LAPACK's own
! test routines.
!
! Output: the seed, one line per failing check ("FAIL <class> <MxN>
! jobu=X jobvt=Y: <what> ratio=..."), the largest ratio seen per check, and
! finally exactly one line "<N> passed, <N> failed" (counts of checks);
! STOP 1 if any check failed.

program svd_accuracy
  use, intrinsic :: ieee_arithmetic, only: ieee_value, ieee_quiet_nan, ieee_is_nan
  implicit none

  interface
     subroutine dgesvdocl(jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info)
       character(len=1), intent(in) :: jobu, jobvt
       integer, intent(in) :: m, n, lda, ldu, ldvt, lwork
       double precision, intent(inout) :: a(lda, *)
       double precision, intent(out) :: s(*), u(ldu, *), vt(ldvt, *), work(*)
       integer, intent(out) :: info
     end subroutine dgesvdocl

     subroutine dlatms(m, n, dist, iseed, sym, d, mode, cond, dmax, kl, ku, pack, a, lda, work, info)
       integer, intent(in) :: m, n, mode, kl, ku, lda
       character(len=1), intent(in) :: dist, sym, pack
       integer, intent(inout) :: iseed(4)
       double precision, intent(inout) :: d(*)
       double precision, intent(in) :: cond, dmax
       double precision, intent(inout) :: a(lda, *)
       double precision, intent(out) :: work(*)
       integer, intent(out) :: info
     end subroutine dlatms

     subroutine dgemm(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
       character(len=1), intent(in) :: transa, transb
       integer, intent(in) :: m, n, k, lda, ldb, ldc
       double precision, intent(in) :: alpha, beta
       double precision, intent(in) :: a(lda, *), b(ldb, *)
       double precision, intent(inout) :: c(ldc, *)
     end subroutine dgemm
  end interface

  integer, parameter :: dp = kind(1.0d0)
  real(dp), parameter :: thresh = 30.0_dp
  integer, parameter :: nclass = 6
  character(len=14), parameter :: class_name(nclass) = [character(len=14) :: &
       'random', 'graded', 'rank-deficient', 'clustered', 'scaled 1e-150', 'scaled 1e+150']
  character(len=1), parameter :: jobs(4) = ['A', 'S', 'O', 'N']
  ! Largest ratio seen per check: S vs D, residual, U orthogonality, VT orthogonality.
  character(len=12), parameter :: kind_name(4) = [character(len=12) :: &
       'S vs DLATMS', '||A-USVT||', '||I-UtU||', '||I-VtVtt||']

  real(dp) :: ulp, qnan, worst(4)
  integer :: npass, nfail
  integer :: iseed(4), iseed0(4)
  integer, allocatable :: shapes(:, :)
  integer :: nshapes, ishape, icls, iu, iv, m, n, r, lda, info
  real(dp), allocatable :: a0(:, :), sv(:), q0u(:, :), q0v(:, :)
  integer, parameter :: big = 512
  character(len=2) :: pairs(16)
  integer :: npairs
  real(dp) :: anorm

  ulp = epsilon(1.0_dp)
  qnan = ieee_value(1.0_dp, ieee_quiet_nan)
  worst = 0.0_dp
  npass = 0
  nfail = 0
  iseed = [1988, 1989, 1990, 2023]
  call read_arguments()
  iseed0 = iseed
  write (*, '(A, 4(1X, I0), A, I0, A)') 'svd_accuracy: DLATMS ISEED =', iseed0, '; ', nshapes, ' shapes'

  do ishape = 1, nshapes
     m = shapes(1, ishape)
     n = shapes(2, ishape)
     r = min(m, n)
     lda = m + 1
     allocate (a0(lda, n), sv(r))
     if (r >= big) then
        call orthonormal(m, r, q0u)
        call orthonormal(n, r, q0v)
     end if
     do icls = 1, nclass
        call make_matrix(icls, info)
        if (info /= 0) then
           nfail = nfail + 1
           write (*, '(A, 1X, I0, "x", I0, A, I0)') 'FAIL ' // trim(class_name(icls)), m, n, &
                ': DLATMS returned INFO=', info
           cycle
        end if
        a0(m + 1:lda, :) = qnan
        anorm = norm1(m, n, a0, lda)
        do iu = 1, 4
           do iv = 1, 4
              if (iu == 3 .and. iv == 3) cycle
              if (ishape > 7 .and. npairs > 0) then
                 if (.not. any(pairs(1:npairs) == jobs(iu) // jobs(iv))) cycle
              end if
              call check_call(icls, jobs(iu), jobs(iv))
           end do
        end do
     end do
     deallocate (a0, sv)
     if (allocated(q0u)) deallocate (q0u, q0v)
  end do

  write (*, '(A)') 'largest ratios (threshold 30):'
  do iu = 1, 4
     write (*, '(2X, A12, 1X, ES9.2)') kind_name(iu), worst(iu)
  end do
  write (*, '(I0, " passed, ", I0, " failed")') npass, nfail
  if (nfail > 0) stop 1

contains

  ! Built-in shapes, then each SIZE argument; seed= replaces ISEED.
  subroutine read_arguments()
    character(len=64) :: arg
    integer :: nargs, i, x, mm, nn, ios
    integer, parameter :: builtin(2, 7) = reshape([1, 1, 7, 5, 5, 7, 40, 40, 97, 31, 31, 97, 150, 150], [2, 7])

    npairs = 0
    nargs = command_argument_count()
    allocate (shapes(2, 7 + nargs))
    shapes(:, 1:7) = builtin
    nshapes = 7
    do i = 1, nargs
       call get_command_argument(i, arg)
       if (arg(1:5) == 'jobs=') then
          x = 6
          do while (x + 1 <= len_trim(arg) .and. npairs < 16)
             npairs = npairs + 1
             pairs(npairs) = arg(x:x + 1)
             x = x + 3
          end do
          cycle
       end if
       if (arg(1:5) == 'seed=') then
          read (arg(6:), *, iostat=ios) iseed
          if (ios /= 0 .or. any(iseed < 0) .or. any(iseed > 4095) .or. mod(iseed(4), 2) /= 1) then
             write (*, '(A)') 'svd_accuracy: seed=I1,I2,I3,I4 wants 0..4095 each, I4 odd: ' // trim(arg)
             stop 2
          end if
          cycle
       end if
       x = index(arg, 'x')
       if (x > 0) then
          read (arg(:x - 1), *, iostat=ios) mm
          if (ios == 0) read (arg(x + 1:), *, iostat=ios) nn
       else
          read (arg, *, iostat=ios) mm
          nn = mm
       end if
       if (ios /= 0 .or. mm < 1 .or. nn < 1) then
          write (*, '(A)') 'svd_accuracy: a size is N or MxN (positive): ' // trim(arg)
          stop 2
       end if
       nshapes = nshapes + 1
       shapes(:, nshapes) = [mm, nn]
    end do
  end subroutine read_arguments

  ! a0(1:m, 1:n) from DLATMS for class icls; sv = its singular values,
  ! sorted non-increasing.
  subroutine make_matrix(icls, info)
    integer, intent(in) :: icls
    integer, intent(out) :: info
    real(dp), allocatable :: d(:), work(:)
    real(dp) :: cond, scale
    integer :: mode, i

    allocate (d(r), work(3 * max(m, n)))
    scale = 1.0_dp
    cond = 1.0_dp
    select case (icls)
    case (1, 5, 6)
       mode = 5
       cond = 10.0_dp
       if (icls == 5) scale = 1.0e-150_dp
       if (icls == 6) scale = 1.0e+150_dp
    case (2)
       mode = 3
       cond = 1.0e12_dp
    case (3)
       mode = 0
       do i = 1, r
          d(i) = merge(1.0_dp / i, 0.0_dp, mod(i, 2) == 1)
       end do
    case default
       mode = 0
       d = 1.0_dp
       if (r >= 2) d(r) = 10.0_dp
       if (r >= 3) d(1) = 1.0e-3_dp
       if (r >= 5) d(r / 2) = 3.0_dp
    end select
    if (r >= big) then
       ! DLATMS's own steps for D: DLATM1, then scaled to max |D| = DMAX = 1.
       if (mode /= 0) then
          call dlatm1(mode, cond, 0, 1, iseed, d, r, info)
          if (info /= 0) return
          d = d / maxval(abs(d))
       end if
       ! a0(1:m, 1:n) = U0 * (V0 * diag(D))^T, through a scratch copy.
       block
         real(dp), allocatable :: vd(:, :)
         allocate (vd(n, r))
         do i = 1, r
            vd(:, i) = q0v(:, i) * d(i)
         end do
         call dgemm('N', 'T', m, n, r, 1.0_dp, q0u, m, vd, n, 0.0_dp, a0, lda)
       end block
    else
       call dlatms(m, n, 'N', iseed, 'N', d, mode, cond, 1.0_dp, m - 1, n - 1, 'N', a0, lda, work, info)
       if (info /= 0) return
    end if
    if (icls == 5 .or. icls == 6) then
       a0(1:m, :) = a0(1:m, :) * scale
       d = d * scale
    end if
    sv = abs(d)
    call sort_decreasing(sv)
  end subroutine make_matrix

  ! q (k x c, c <= k): orthonormal columns, the Q factor of a Gaussian matrix.
  subroutine orthonormal(k, c, q)
    integer, intent(in) :: k, c
    real(dp), allocatable, intent(out) :: q(:, :)
    real(dp), allocatable :: tau(:), work(:)
    real(dp) :: wq(1)
    integer :: info, lwork
    allocate (q(k, c), tau(c))
    call dlarnv(3, iseed, k * c, q)
    call dgeqrf(k, c, q, k, tau, wq, -1, info)
    lwork = int(wq(1))
    call dorgqr(k, c, c, q, k, tau, wq, -1, info)
    lwork = max(lwork, int(wq(1)), 1)
    allocate (work(lwork))
    call dgeqrf(k, c, q, k, tau, work, lwork, info)
    call dorgqr(k, c, c, q, k, tau, work, lwork, info)
  end subroutine orthonormal

  ! One DGESVDOCL call (query, then the optimal LWORK) and its checks.
  subroutine check_call(icls, ju, jv)
    integer, intent(in) :: icls
    character(len=1), intent(in) :: ju, jv
    real(dp), allocatable :: a(:, :), s(:), u(:, :), vt(:, :), work(:)
    real(dp), allocatable :: uc(:, :), vc(:, :), us(:, :), res(:, :), w(:, :)
    real(dp) :: wq(1), ratio
    integer :: ldu, ldvt, ucols, vrows, lwork, info, i, k
    character(len=48) :: tag

    write (tag, '(A, 1X, I0, "x", I0, " jobu=", A, " jobvt=", A)') trim(class_name(icls)), m, n, ju, jv

    ucols = 1
    ldu = 1
    if (ju == 'A' .or. ju == 'S') then
       ucols = merge(m, r, ju == 'A')
       ldu = m + 2
    end if
    vrows = 1
    ldvt = 1
    if (jv == 'A' .or. jv == 'S') then
       vrows = merge(n, r, jv == 'A')
       ldvt = vrows + 1
    end if
    allocate (a(lda, n), s(r), u(ldu, ucols), vt(ldvt, n))
    a = a0
    s = qnan
    u = qnan
    vt = qnan

    call dgesvdocl(ju, jv, m, n, a, lda, s, u, ldu, vt, ldvt, wq, -1, info)
    if (info /= 0) then
       nfail = nfail + 1
       write (*, '(A, ": workspace query returned INFO=", I0)') 'FAIL ' // trim(tag), info
       return
    end if
    lwork = max(1, int(wq(1)))
    allocate (work(lwork))
    call dgesvdocl(ju, jv, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info)
    if (info /= 0) then
       nfail = nfail + 1
       write (*, '(A, ": returned INFO=", I0, " (LWORK=", I0, ")")') 'FAIL ' // trim(tag), info, lwork
       return
    end if
    npass = npass + 1

    ! Non-negative and non-increasing (a NaN fails both comparisons).
    k = 0
    do i = r, 1, -1
       if (.not. (s(i) >= 0.0_dp)) k = i
       if (i < r) then
          if (.not. (s(i) >= s(i + 1))) k = i
       end if
    end do
    if (k == 0) then
       npass = npass + 1
    else
       nfail = nfail + 1
       write (*, '(A, ": S not non-negative and non-increasing at i=", I0, ", S(i:i+1) =", 2(1X, ES10.3))') &
            'FAIL ' // trim(tag), k, s(k:min(k + 1, r))
    end if

    ratio = 0.0_dp
    do i = 1, r
       if (.not. (abs(s(i) - sv(i)) <= ratio)) ratio = abs(s(i) - sv(i))
       if (ieee_is_nan(ratio)) exit
    end do
    ratio = ratio / (max(m, n) * ulp * sv(1))
    call verdict(ratio < thresh, tag, 'S vs DLATMS', ratio, 1)

    ! U and V^T as computed, wherever DGESVD leaves them.
    if (ju == 'O') then
       ucols = r
       uc = a(1:m, 1:r)
    else if (ju /= 'N') then
       uc = u(1:m, 1:ucols)
    end if
    if (jv == 'O') then
       vrows = r
       vc = a(1:r, 1:n)
    else if (jv /= 'N') then
       vc = vt(1:vrows, 1:n)
    end if

    if (allocated(uc) .and. allocated(vc)) then
       allocate (us(m, r))
       do i = 1, r
          us(:, i) = uc(:, i) * s(i)
       end do
       res = a0(1:m, 1:n)
       call dgemm('N', 'N', m, n, r, -1.0_dp, us, m, vc, vrows, 1.0_dp, res, m)
       ratio = norm1(m, n, res, m) / (anorm * max(m, n) * ulp)
       call verdict(ratio < thresh, tag, '||A-U*S*VT||_1/(||A||_1*max(m,n)*ulp)', ratio, 2)
    end if
    if (allocated(uc)) then
       k = ucols
       call set_identity(w, k)
       call dgemm('T', 'N', k, k, m, -1.0_dp, uc, m, uc, m, 1.0_dp, w, k)
       ratio = norm1(k, k, w, k) / (m * ulp)
       call verdict(ratio < thresh, tag, '||I-U^T*U||_1/(m*ulp)', ratio, 3)
    end if
    if (allocated(vc)) then
       k = vrows
       call set_identity(w, k)
       call dgemm('N', 'T', k, k, n, -1.0_dp, vc, k, vc, k, 1.0_dp, w, k)
       ratio = norm1(k, k, w, k) / (n * ulp)
       call verdict(ratio < thresh, tag, '||I-VT*VT^T||_1/(n*ulp)', ratio, 4)
    end if
  end subroutine check_call

  ! Counts one check of kind `which`; prints it when it failed. A NaN ratio
  ! fails (the callers test "ratio < thresh") and is recorded as the worst.
  subroutine verdict(ok, tag, what, ratio, which)
    logical, intent(in) :: ok
    character(len=*), intent(in) :: tag, what
    real(dp), intent(in) :: ratio
    integer, intent(in) :: which

    if (.not. (ratio <= worst(which))) worst(which) = ratio
    if (ok) then
       npass = npass + 1
    else
       nfail = nfail + 1
       write (*, '(A, ": ", A, " ratio=", ES10.3)') 'FAIL ' // trim(tag), what, ratio
    end if
  end subroutine verdict

  ! 1-norm of x(1:mm, 1:nn); NaN if any entry is NaN.
  function norm1(mm, nn, x, ldx) result(v)
    integer, intent(in) :: mm, nn, ldx
    real(dp), intent(in) :: x(ldx, *)
    real(dp) :: v, c
    integer :: j

    v = 0.0_dp
    do j = 1, nn
       c = sum(abs(x(1:mm, j)))
       if (ieee_is_nan(c)) then
          v = c
          return
       end if
       v = max(v, c)
    end do
  end function norm1

  subroutine set_identity(e, k)
    real(dp), allocatable, intent(inout) :: e(:, :)
    integer, intent(in) :: k
    integer :: i

    if (allocated(e)) deallocate (e)
    allocate (e(k, k))
    e = 0.0_dp
    do i = 1, k
       e(i, i) = 1.0_dp
    end do
  end subroutine set_identity

  ! Insertion sort, largest first (r is at most a few thousand).
  subroutine sort_decreasing(v)
    real(dp), intent(inout) :: v(:)
    real(dp) :: t
    integer :: i, j

    do i = 2, size(v)
       t = v(i)
       j = i - 1
       do while (j >= 1)
          if (v(j) >= t) exit
          v(j + 1) = v(j)
          j = j - 1
       end do
       v(j + 1) = t
    end do
  end subroutine sort_decreasing

end program svd_accuracy
