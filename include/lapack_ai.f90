! lapack_ai.f90 -- Fortran 2008 module `lapack_ai`: explicit interfaces to
! the extensions of liblapack_ai.so, so that the compiler checks every call.
!
! Compile this file with the program that uses it (the CMake target
! lapack_ai::fortran does this through INTERFACE_SOURCES), then link
! liblapack_ai.so before any other LAPACK:
!
!   use lapack_ai
!   call dgesvdocl('S', 'S', m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info)
!   info = lapack_ai_dgesvdocl(LAPACK_AI_COL_MAJOR, 'S', 'S', m, n, a, lda, s, &
!                              u, ldu, vt, ldvt, superb)
!   call dgemm_alpha('N', 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
!   info = lapack_ai_dgemm_alpha(LAPACK_AI_COL_MAJOR, 'N', 'N', m, n, k, alpha, &
!                                a, lda, b, ldb, beta, c, ldc)
!
! Only lapack-ai's own routines are declared here. The standard routines it
! interposes (DGEMM, DGESV, DGESVD, DGESDD) keep their usual external
! declarations, so that a program that declares them itself can still `use`
! this module without a clash.
!
! Kinds are those of the C library (c_int, c_double): the library is LP64,
! so a program built with 8-byte default integers (-fdefault-integer-8)
! gets a compile-time type mismatch here instead of wrong answers at run
! time.

module lapack_ai
  use, intrinsic :: iso_c_binding, only: c_int, c_double, c_char, c_ptr, c_size_t, &
       c_associated, c_f_pointer
  implicit none
  private

  public :: LAPACK_AI_ROW_MAJOR, LAPACK_AI_COL_MAJOR
  public :: LAPACK_AI_INFO_INTERNAL_ERROR, LAPACK_AI_WORK_MEMORY_ERROR
  public :: dgesvdocl, lapack_ai_dgesvdocl
  public :: dgemm_alpha, lapack_ai_dgemm_alpha
  public :: lapack_ai_version, lapack_ai_info
  public :: lapack_ai_stats_json, lapack_ai_stats

  ! MATRIX_LAYOUT of the LAPACKE-style functions; the same values as
  ! LAPACKE's LAPACK_ROW_MAJOR and LAPACK_COL_MAJOR.
  integer(c_int), parameter :: LAPACK_AI_ROW_MAJOR = 101_c_int
  integer(c_int), parameter :: LAPACK_AI_COL_MAJOR = 102_c_int

  ! INFO when the library itself failed (an internal error, reported on
  ! stderr). Far outside any argument position, so that code which tests
  ! INFO /= 0 stops.
  integer(c_int), parameter :: LAPACK_AI_INFO_INTERNAL_ERROR = -1000_c_int
  ! INFO of lapack_ai_dgesvdocl when its workspace could not be allocated
  ! (LAPACKE's LAPACK_WORK_MEMORY_ERROR).
  integer(c_int), parameter :: LAPACK_AI_WORK_MEMORY_ERROR = -1010_c_int

  interface

     ! DGESVDOCL(JOBU, JOBVT, M, N, A, LDA, S, U, LDU, VT, LDVT, WORK, LWORK, INFO)
     !
     ! Purpose
     !   The singular value decomposition A = U * SIGMA * V**T of a real
     !   M-by-N matrix A, on the GPU when lapack-ai routes it there. SIGMA
     !   is M-by-N, zero except for its min(M,N) diagonal elements, the
     !   singular values, which are non-negative and come back in
     !   decreasing order; U is M-by-M and V is N-by-N, both orthogonal.
     !   Its arguments, workspace query and INFO codes are exactly those of
     !   LAPACK's DGESVD, so a call to DGESVD can be renamed to DGESVDOCL
     !   and nothing else changes. When the GPU cannot run a call, DGESVD
     !   of the CPU LAPACK runs it.
     !
     ! Arguments
     !   JOBU   (input) CHARACTER*1. Which columns of U are computed:
     !          'A': all M columns, in U;
     !          'S': the first min(M,N) columns (the left singular vectors),
     !               in U;
     !          'O': the first min(M,N) columns, written over A;
     !          'N': none.
     !   JOBVT  (input) CHARACTER*1. Which rows of V**T are computed:
     !          'A': all N rows, in VT; 'S': the first min(M,N) rows (the
     !          right singular vectors), in VT; 'O': the first min(M,N)
     !          rows, written over A; 'N': none. JOBU and JOBVT are not both
     !          'O'.
     !   M      (input) INTEGER. Rows of A, M >= 0.
     !   N      (input) INTEGER. Columns of A, N >= 0.
     !   A      (input/output) DOUBLE PRECISION array, dimension (LDA,N).
     !          On entry the matrix. On exit U's columns (JOBU = 'O'), V**T's
     !          rows (JOBVT = 'O'), or destroyed (otherwise).
     !   LDA    (input) INTEGER. Leading dimension of A, LDA >= max(1,M).
     !   S      (output) DOUBLE PRECISION array, dimension (min(M,N)).
     !          The singular values, S(i) >= S(i+1) >= 0.
     !   U      (output) DOUBLE PRECISION array, dimension (LDU,UCOL):
     !          UCOL = M for JOBU = 'A', min(M,N) for JOBU = 'S'. Not
     !          referenced for JOBU = 'N' or 'O' (pass any array).
     !   LDU    (input) INTEGER. Leading dimension of U: >= 1, and >= M
     !          when JOBU = 'A' or 'S'.
     !   VT     (output) DOUBLE PRECISION array, dimension (LDVT,N): the N
     !          rows of V**T for JOBVT = 'A', its first min(M,N) rows for
     !          JOBVT = 'S'. Not referenced for JOBVT = 'N' or 'O'.
     !   LDVT   (input) INTEGER. Leading dimension of VT: >= 1, >= N when
     !          JOBVT = 'A', >= min(M,N) when JOBVT = 'S'.
     !   WORK   (workspace/output) DOUBLE PRECISION array, dimension
     !          (max(1,LWORK)). On exit with INFO = 0, WORK(1) is the
     !          optimal LWORK; with INFO > 0, WORK(2:min(M,N)) holds the
     !          superdiagonal of an upper bidiagonal matrix B, with S as its
     !          (unsorted) diagonal, such that A = U * B * V**T.
     !   LWORK  (input) INTEGER. Size of WORK, at least
     !          max(1, 3*min(M,N) + max(M,N), 5*min(M,N)); larger is faster.
     !          LWORK = -1 is a workspace query: the optimal size comes back
     !          in WORK(1) and nothing else is computed.
     !   INFO   (output) INTEGER.
     !          = 0:  success;
     !          < 0:  argument -INFO was illegal; XERBLA('DGESVDOCL', -INFO)
     !                was called first, as LAPACK routines call it;
     !          > 0:  the bidiagonal QR iteration did not converge: INFO
     !                superdiagonals of B (see WORK) did not reach zero.
     subroutine dgesvdocl(jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info)
       import :: c_int, c_double
       implicit none
       character(len=1), intent(in) :: jobu, jobvt
       integer(c_int), intent(in) :: m, n, lda, ldu, ldvt, lwork
       real(c_double), intent(inout) :: a(lda, *)
       real(c_double), intent(out) :: s(*)
       ! inout, not out: for JOBU/JOBVT = 'N' or 'O' these stay as they were.
       real(c_double), intent(inout) :: u(ldu, *), vt(ldvt, *)
       real(c_double), intent(inout) :: work(*)
       integer(c_int), intent(out) :: info
     end subroutine dgesvdocl

     ! DGEMM_ALPHA(TRANSA, TRANSB, M, N, K, ALPHA, A, LDA, B, LDB, BETA, C, LDC)
     !
     ! Purpose
     !   C := ALPHA*op(A)*op(B) + BETA*C, op(X) = X or X**T, as DGEMM, but
     !   computed through a fast bilinear scheme for 4x4 block partitions
     !   (48 or 49 block products instead of 64) where lapack-ai's cost
     !   model predicts it faster, on the GPU or the CPU; else exactly as
     !   DGEMM. The block products run on the fastest GEMM available.
     !
     ! Arguments
     !   Exactly DGEMM's: TRANSA, TRANSB ('N', 'T' or 'C'), M, N, K (>= 0),
     !   ALPHA, A(LDA,*) (op(A) is M-by-K), LDA (>= max(1, rows of A as
     !   stored)), B(LDB,*) (op(B) is K-by-N), LDB, BETA, C(LDC,N) (when
     !   BETA = 0, C need not be set on input), LDC (>= max(1,M)). An
     !   illegal argument calls XERBLA('DGEMM_ALPHA', position) with
     !   DGEMM's positions and returns.
     !
     ! Accuracy
     !   Normwise: |C - exact| <= c(L) * eps * K * max|A| * max|B| with L
     !   the levels applied (measured c(1) < 1, c(2) < 2.3 on random
     !   matrices; README, "DGEMM_ALPHA"), not DGEMM's element-by-element
     !   bound: on badly scaled matrices small elements of C lose accuracy.
     subroutine dgemm_alpha(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
       import :: c_int, c_double
       implicit none
       character(len=1), intent(in) :: transa, transb
       integer(c_int), intent(in) :: m, n, k, lda, ldb, ldc
       real(c_double), intent(in) :: alpha, beta
       real(c_double), intent(in) :: a(lda, *), b(ldb, *)
       real(c_double), intent(inout) :: c(ldc, *)
     end subroutine dgemm_alpha

     ! N = LAPACK_AI_STATS_JSON(BUF, LEN)
     !
     ! The library's counters (calls per routine on the GPU and the CPU,
     ! time, flops, fallbacks, bytes to and from the device) as JSON text,
     ! as the C function does it: at most LEN-1 characters of the text and
     ! a C NUL are written into BUF, and the result N is the length of the
     ! whole text; N >= LEN means BUF was too short. LAPACK_AI_STATS() below
     ! does the sizing and returns the text as a string.
     !   BUF (output) CHARACTER(KIND=C_CHAR) array of at least LEN elements.
     !   LEN (input)  INTEGER(C_SIZE_T), passed by value; 0 writes nothing.
     function lapack_ai_stats_json(buf, len) result(n) bind(C, name='lapack_ai_stats_json')
       import :: c_char, c_size_t
       implicit none
       character(kind=c_char), intent(inout) :: buf(*)
       integer(c_size_t), value, intent(in) :: len
       integer(c_size_t) :: n
     end function lapack_ai_stats_json

  end interface

  ! The C functions behind the module procedures below, private: Fortran
  ! callers want strings, not pointers, and see the remark on c_dgesvdocl.
  interface
     ! lapack_ai_dgesvdocl itself. Private: the public lapack_ai_dgesvdocl
     ! below calls it with the job letters copied into local variables,
     ! because gfortran before 14 passes a junk byte for a CHARACTER, VALUE
     ! argument whose actual argument is a dummy argument or a substring
     ! (GCC bug 110360): the natural call from a subroutine that receives
     ! JOBU as an argument would come back as INFO = -2.
     function c_dgesvdocl(matrix_layout, jobu, jobvt, m, n, a, lda, s, u, ldu, &
          vt, ldvt, superb) result(info) bind(C, name='lapack_ai_dgesvdocl')
       import :: c_int, c_char, c_double
       implicit none
       integer(c_int), value, intent(in) :: matrix_layout, m, n, lda, ldu, ldvt
       character(kind=c_char), value, intent(in) :: jobu, jobvt
       real(c_double), intent(inout) :: a(*)
       real(c_double), intent(out) :: s(*)
       real(c_double), intent(inout) :: u(*), vt(*), superb(*)
       integer(c_int) :: info
     end function c_dgesvdocl

     ! lapack_ai_dgemm_alpha itself; private for the reason given for
     ! c_dgesvdocl.
     function c_dgemm_alpha(layout, transa, transb, m, n, k, alpha, a, lda, b, ldb, &
          beta, c, ldc) result(info) bind(C, name='lapack_ai_dgemm_alpha')
       import :: c_int, c_char, c_double
       implicit none
       integer(c_int), value, intent(in) :: layout, m, n, k, lda, ldb, ldc
       character(kind=c_char), value, intent(in) :: transa, transb
       real(c_double), value, intent(in) :: alpha, beta
       real(c_double), intent(in) :: a(*), b(*)
       real(c_double), intent(inout) :: c(*)
       integer(c_int) :: info
     end function c_dgemm_alpha

     function c_version() result(p) bind(C, name='lapack_ai_version')
       import :: c_ptr
       implicit none
       type(c_ptr) :: p
     end function c_version

     function c_info() result(p) bind(C, name='lapack_ai_info')
       import :: c_ptr
       implicit none
       type(c_ptr) :: p
     end function c_info

     function c_strlen(p) result(len) bind(C, name='strlen')
       import :: c_ptr, c_size_t
       implicit none
       type(c_ptr), value, intent(in) :: p
       integer(c_size_t) :: len
     end function c_strlen
  end interface

contains

  ! INFO = LAPACK_AI_DGESVDOCL(MATRIX_LAYOUT, JOBU, JOBVT, M, N, A, LDA,
  !                            S, U, LDU, VT, LDVT, SUPERB)
  !
  ! Purpose
  !   DGESVDOCL with LAPACKE_dgesvd's calling convention (the C function
  !   lapack_ai_dgesvdocl, called through this module procedure): the
  !   matrix layout first, the workspace allocated inside, and INFO
  !   returned. Nothing is printed and XERBLA is not called; errors
  !   come back only as INFO. Row-major data (the layout of C and of
  !   NumPy) is what a Fortran program holds as the transpose: an M-by-N
  !   row-major A with leading dimension LDA is a Fortran array
  !   AT(LDA, M) with A(i,j) = AT(j,i).
  !
  ! Arguments (k: the position returned as -k when it is illegal)
  !   MATRIX_LAYOUT (1) LAPACK_AI_COL_MAJOR or LAPACK_AI_ROW_MAJOR.
  !   JOBU   (2) 'A', 'S', 'O' or 'N', as DGESVDOCL's JOBU.
  !   JOBVT  (3) 'A', 'S', 'O' or 'N', as DGESVDOCL's JOBVT; JOBU and
  !          JOBVT are not both 'O'.
  !   M, N   (4, 5) the shape of A, >= 0.
  !   A      (6) the matrix, overwritten as by DGESVDOCL. -6 is also the
  !          answer when A(1:M,1:N) contains a NaN (nothing is computed).
  !   LDA    (7) >= max(1,M) column-major; >= max(1,N) row-major.
  !   S      (8) min(M,N) singular values, decreasing.
  !   U      (9) M-by-UCOL (UCOL = M for 'A', min(M,N) for 'S'). Not
  !          referenced for JOBU = 'N' or 'O': pass any array.
  !   LDU    (10) column-major: as DGESVDOCL; row-major: >= UCOL (>= 1).
  !   VT     (11) N-by-N for 'A', min(M,N)-by-N for 'S'. Not referenced
  !          for JOBVT = 'N' or 'O': pass any array.
  !   LDVT   (12) column-major: as DGESVDOCL; row-major: >= N, whatever
  !          JOBVT is (as LAPACKE_dgesvd checks it).
  !   SUPERB (13) min(M,N)-1 elements (pass at least one): with
  !          INFO > 0, the superdiagonal that DGESVDOCL leaves in
  !          WORK(2:min(M,N)).
  !
  ! Result
  !   0: success; -k: argument k illegal; > 0: no convergence, as
  !   DGESVDOCL; LAPACK_AI_WORK_MEMORY_ERROR; LAPACK_AI_INFO_INTERNAL_ERROR.
  function lapack_ai_dgesvdocl(matrix_layout, jobu, jobvt, m, n, a, lda, s, u, ldu, &
       vt, ldvt, superb) result(info)
    integer(c_int), intent(in) :: matrix_layout, m, n, lda, ldu, ldvt
    character(len=1), intent(in) :: jobu, jobvt
    ! Assumed size and rank one: a rank-2 array of either layout (or its
    ! first element) is passed by sequence association.
    real(c_double), intent(inout) :: a(*)
    real(c_double), intent(out) :: s(*)
    real(c_double), intent(inout) :: u(*), vt(*), superb(*)
    integer(c_int) :: info
    character(kind=c_char) :: ju, jv

    ju = jobu
    jv = jobvt
    info = c_dgesvdocl(matrix_layout, ju, jv, m, n, a, lda, s, u, ldu, vt, ldvt, superb)
  end function lapack_ai_dgesvdocl

  ! INFO = LAPACK_AI_DGEMM_ALPHA(LAYOUT, TRANSA, TRANSB, M, N, K, ALPHA, A, LDA,
  !                              B, LDB, BETA, C, LDC)
  !
  ! Purpose
  !   DGEMM_ALPHA with LAPACKE's calling convention (the C function
  !   lapack_ai_dgemm_alpha): the matrix layout first and INFO returned;
  !   XERBLA is not called. Row-major data is what a Fortran program holds
  !   as the transpose (see lapack_ai_dgesvdocl).
  !
  ! Arguments (k: the position returned as -k when it is illegal)
  !   LAYOUT (1) LAPACK_AI_COL_MAJOR or LAPACK_AI_ROW_MAJOR.
  !   TRANSA, TRANSB (2, 3) 'N', 'T' or 'C'.
  !   M, N, K (4, 5, 6) >= 0: op(A) is M-by-K, op(B) K-by-N, C M-by-N.
  !   ALPHA (7), A (8), LDA (9): column major as DGEMM; row major
  !          LDA >= max(1,K) for 'N', max(1,M) for 'T'.
  !   B (10), LDB (11): column major as DGEMM; row major LDB >= max(1,N)
  !          for 'N', max(1,K) for 'T'.
  !   BETA (12), C (13), LDC (14): LDC >= max(1,M) column major,
  !          max(1,N) row major.
  !
  ! Result
  !   0, -k for an illegal argument k, or LAPACK_AI_INFO_INTERNAL_ERROR.
  function lapack_ai_dgemm_alpha(layout, transa, transb, m, n, k, alpha, a, lda, b, ldb, &
       beta, c, ldc) result(info)
    integer(c_int), intent(in) :: layout, m, n, k, lda, ldb, ldc
    character(len=1), intent(in) :: transa, transb
    real(c_double), intent(in) :: alpha, beta
    real(c_double), intent(in) :: a(*), b(*)
    real(c_double), intent(inout) :: c(*)
    integer(c_int) :: info
    character(kind=c_char) :: ta, tb

    ta = transa
    tb = transb
    info = c_dgemm_alpha(layout, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
  end function lapack_ai_dgemm_alpha

  ! VERSION = LAPACK_AI_VERSION()
  !
  ! The version of the liblapack_ai.so that the program runs with,
  ! "MAJOR.MINOR.PATCH" (for instance "0.2.0"). It can differ from the
  ! version this module came with when another copy of the library is found
  ! at run time, which is what makes it worth printing.
  function lapack_ai_version() result(version)
    character(len=:), allocatable :: version
    version = from_c(c_version())
  end function lapack_ai_version

  ! TEXT = LAPACK_AI_INFO()
  !
  ! What the library runs on, several lines separated by new_line('a'),
  ! each "key: value": the version, the mode (LAPACK_AI_MODE), the OpenCL
  ! device (or "none (reason)"), and for each routine the CPU library that
  ! runs it when it runs on the CPU ("cpu dgesvd_: /path/liblapack.so.3").
  ! The first call selects the device and resolves the CPU LAPACK, so it
  ! can take a moment.
  function lapack_ai_info() result(text)
    character(len=:), allocatable :: text
    text = from_c(c_info())
  end function lapack_ai_info

  ! JSON = LAPACK_AI_STATS()
  !
  ! The text of LAPACK_AI_STATS_JSON as a string of the right length: one
  ! JSON object with, for each interposed routine, its calls (on the GPU,
  ! on the CPU, fallbacks), seconds, flops and bytes moved each way,
  ! cumulative since the first call (the README's "What it did" lists the
  ! fields). Empty if the library failed internally.
  function lapack_ai_stats() result(json)
    character(len=:), allocatable :: json
    character(kind=c_char), allocatable :: buf(:)
    character(kind=c_char) :: probe(1)
    integer(c_size_t) :: n
    integer :: i

    n = lapack_ai_stats_json(probe, 1_c_size_t)
    do
       ! Room to spare: the counters may grow between the two calls.
       allocate(buf(n + 256))
       n = lapack_ai_stats_json(buf, int(size(buf), c_size_t))
       if (n < size(buf)) exit
       deallocate(buf)
    end do
    allocate(character(len=n) :: json)
    do i = 1, int(n)
       json(i:i) = buf(i)
    end do
  end function lapack_ai_stats

  ! A copy of a NUL-terminated C string; empty for a null pointer.
  function from_c(p) result(str)
    type(c_ptr), intent(in) :: p
    character(len=:), allocatable :: str
    character(kind=c_char), pointer :: chars(:)
    integer :: i, n

    if (.not. c_associated(p)) then
       str = ''
       return
    end if
    n = int(c_strlen(p))
    call c_f_pointer(p, chars, [n])
    allocate(character(len=n) :: str)
    do i = 1, n
       str(i:i) = chars(i)
    end do
  end function from_c

end module lapack_ai
