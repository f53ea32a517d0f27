//! Matrices in the caller's memory, as checked views: a first element,
//! rows, columns and a leading dimension, of an element type (`f64` unless
//! said: the routines of the other precisions will take `f32` and the
//! complex types), for a lifetime.
//!
//! The exported functions make them once, after the argument checks
//! (`from_raw`, the one unsafe step, whose conditions are what the checks
//! and LAPACK's calling rules guarantee); everything below works on views,
//! whose accessors cannot leave the matrix. Raw pointers come back out only
//! where a foreign function takes them: the CPU LAPACK's routines
//! (src/engine/cpu/) and OpenCL's copies (src/engine/opencl/).

use std::marker::PhantomData;

/// A column-major `rows x cols` matrix, read-only.
#[derive(Debug)]
pub struct MatRef<'a, T = f64> {
    ptr: *const T,
    rows: usize,
    cols: usize,
    ld: usize,
    _life: PhantomData<&'a [T]>,
}

impl<T> Clone for MatRef<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for MatRef<'_, T> {}

/// A column-major `rows x cols` matrix, written through this view alone
/// while it lives.
#[derive(Debug)]
pub struct MatMut<'a, T = f64> {
    ptr: *mut T,
    rows: usize,
    cols: usize,
    ld: usize,
    _life: PhantomData<&'a mut [T]>,
}

// SAFETY: a MatRef reads elements that nothing writes while it lives
// (from_raw's condition), as a shared slice would: it may be shared and
// sent between threads where a shared slice of T may.
unsafe impl<T: Sync> Send for MatRef<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for MatRef<'_, T> {}
// SAFETY: a MatMut is the only access to its elements while it lives
// (from_raw's condition, and the splits hand out disjoint parts), as a
// mutable slice is: it may be sent to another thread where T may.
unsafe impl<T: Send> Send for MatMut<'_, T> {}

/// Elements of column `j` from row `i`, in a matrix at `ptr` with `ld`.
fn offset(i: usize, j: usize, ld: usize) -> usize {
    i + j * ld
}

/// Whether `len` elements hold a `rows x cols` matrix with `ld`.
fn holds(len: usize, rows: usize, cols: usize, ld: usize) -> bool {
    ld >= rows.max(1) && (cols == 0 || rows == 0 || (cols - 1) * ld + rows <= len)
}

impl<'a, T> MatRef<'a, T> {
    /// The view of the caller's matrix at `ptr`.
    ///
    /// # Safety
    /// `ld >= max(1, rows)`; for `rows, cols > 0`, `ptr` is valid for
    /// reading the `rows x cols` matrix with leading dimension `ld`, and
    /// nothing writes it during `'a` (LAPACK's rule: an input array is not
    /// an output of the same call). With no element, `ptr` is not read.
    pub unsafe fn from_raw(ptr: *const T, rows: usize, cols: usize, ld: usize) -> MatRef<'a, T> {
        debug_assert!(ld >= rows.max(1));
        MatRef { ptr, rows, cols, ld, _life: PhantomData }
    }

    /// A view of a slice holding a `rows x cols` matrix with `ld`.
    pub fn from_slice(data: &'a [T], rows: usize, cols: usize, ld: usize) -> MatRef<'a, T> {
        assert!(holds(data.len(), rows, cols, ld));
        // SAFETY: the slice holds the matrix and is borrowed for 'a.
        unsafe { MatRef::from_raw(data.as_ptr(), rows, cols, ld) }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn ld(&self) -> usize {
        self.ld
    }

    /// Column `j`.
    pub fn col(&self, j: usize) -> &'a [T] {
        assert!(j < self.cols);
        // SAFETY: column j of the matrix, rows elements (from_raw).
        unsafe { std::slice::from_raw_parts(self.ptr.add(offset(0, j, self.ld)), self.rows) }
    }

    /// Element (i, j).
    pub fn at(&self, i: usize, j: usize) -> T
    where
        T: Copy,
    {
        self.col(j)[i]
    }

    /// The `rows x cols` block from (i, j).
    pub fn sub(&self, i: usize, j: usize, rows: usize, cols: usize) -> MatRef<'a, T> {
        assert!(i + rows <= self.rows && j + cols <= self.cols);
        let ptr = if rows == 0 || cols == 0 { self.ptr } else { self.ptr.wrapping_add(offset(i, j, self.ld)) };
        MatRef { ptr, rows, cols, ld: self.ld, _life: PhantomData }
    }

    /// The first element, for a foreign function that reads the matrix
    /// with `ld` (the CPU LAPACK, an OpenCL copy).
    pub fn as_ptr(&self) -> *const T {
        self.ptr
    }
}

impl<'a, T> MatMut<'a, T> {
    /// The view of the caller's matrix at `ptr`.
    ///
    /// # Safety
    /// `ld >= max(1, rows)`; for `rows, cols > 0`, `ptr` is valid for
    /// reading and writing the `rows x cols` matrix with leading dimension
    /// `ld`, and nothing else reads or writes it during `'a` (LAPACK's
    /// rule: the arrays of one call do not overlap).
    pub unsafe fn from_raw(ptr: *mut T, rows: usize, cols: usize, ld: usize) -> MatMut<'a, T> {
        debug_assert!(ld >= rows.max(1));
        MatMut { ptr, rows, cols, ld, _life: PhantomData }
    }

    /// A view of a slice holding a `rows x cols` matrix with `ld`.
    pub fn from_slice(data: &'a mut [T], rows: usize, cols: usize, ld: usize) -> MatMut<'a, T> {
        assert!(holds(data.len(), rows, cols, ld));
        // SAFETY: the slice holds the matrix and is borrowed mutably for 'a.
        unsafe { MatMut::from_raw(data.as_mut_ptr(), rows, cols, ld) }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn ld(&self) -> usize {
        self.ld
    }

    /// The same matrix, read-only, while this view is borrowed.
    pub fn rb(&self) -> MatRef<'_, T> {
        MatRef { ptr: self.ptr, rows: self.rows, cols: self.cols, ld: self.ld, _life: PhantomData }
    }

    /// The same matrix, for a shorter borrow.
    pub fn rb_mut(&mut self) -> MatMut<'_, T> {
        MatMut { ptr: self.ptr, rows: self.rows, cols: self.cols, ld: self.ld, _life: PhantomData }
    }

    /// Column `j`, read.
    pub fn col(&self, j: usize) -> &[T] {
        self.rb().col(j)
    }

    /// Column `j`.
    pub fn col_mut(&mut self, j: usize) -> &mut [T] {
        assert!(j < self.cols);
        // SAFETY: column j of the matrix, rows elements, borrowed mutably
        // through this view (from_raw).
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(offset(0, j, self.ld)), self.rows) }
    }

    /// The `rows x cols` block from (i, j), for a shorter borrow.
    pub fn sub_mut(&mut self, i: usize, j: usize, rows: usize, cols: usize) -> MatMut<'_, T> {
        self.rb_mut().into_sub(i, j, rows, cols)
    }

    /// The `rows x cols` block from (i, j), for this view's whole life.
    pub fn into_sub(self, i: usize, j: usize, rows: usize, cols: usize) -> MatMut<'a, T> {
        assert!(i + rows <= self.rows && j + cols <= self.cols);
        let ptr = if rows == 0 || cols == 0 { self.ptr } else { self.ptr.wrapping_add(offset(i, j, self.ld)) };
        MatMut { ptr, rows, cols, ld: self.ld, _life: PhantomData }
    }

    /// Columns `..at` and `at..`, each its own view (for threads).
    pub fn split_cols(self, at: usize) -> (MatMut<'a, T>, MatMut<'a, T>) {
        assert!(at <= self.cols);
        let right = if at == self.cols || self.rows == 0 { self.ptr } else { self.ptr.wrapping_add(offset(0, at, self.ld)) };
        (
            MatMut { ptr: self.ptr, rows: self.rows, cols: at, ld: self.ld, _life: PhantomData },
            MatMut { ptr: right, rows: self.rows, cols: self.cols - at, ld: self.ld, _life: PhantomData },
        )
    }

    /// Rows `..at` and `at..`, each its own view: disjoint elements,
    /// though their columns interleave in memory.
    pub fn split_rows(self, at: usize) -> (MatMut<'a, T>, MatMut<'a, T>) {
        assert!(at <= self.rows);
        let lower = if at == self.rows || self.cols == 0 { self.ptr } else { self.ptr.wrapping_add(at) };
        (
            MatMut { ptr: self.ptr, rows: at, cols: self.cols, ld: self.ld, _life: PhantomData },
            MatMut { ptr: lower, rows: self.rows - at, cols: self.cols, ld: self.ld, _life: PhantomData },
        )
    }

    /// The first element, for a foreign function that reads and writes the
    /// matrix with `ld` (the CPU LAPACK, an OpenCL copy).
    pub fn as_mut_ptr(&mut self) -> *mut T {
        self.ptr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_address_their_elements() {
        let mut data: Vec<f64> = (0..20).map(|x| x as f64).collect();
        let a = MatRef::from_slice(&data, 4, 5, 4);
        assert_eq!(a.at(2, 3), 14.0);
        let b = a.sub(1, 2, 2, 3);
        assert_eq!((b.rows(), b.cols(), b.at(0, 0), b.at(1, 2)), (2, 3, 9.0, 18.0));
        let mut m = MatMut::from_slice(&mut data, 3, 5, 4);
        m.sub_mut(1, 1, 2, 2).col_mut(1)[1] = -1.0;
        let (left, right) = m.split_cols(2);
        assert_eq!((left.cols(), right.cols(), right.rb().at(1, 0)), (2, 3, 9.0));
        let (top, bottom) = right.split_rows(1);
        assert_eq!((top.rows(), bottom.rows(), top.rb().at(0, 1), bottom.rb().at(1, 2)), (1, 2, 12.0, 18.0));
        assert_eq!(data[2 + 2 * 4], -1.0);
        assert!(std::panic::catch_unwind(|| MatRef::from_slice(&[0.0; 4], 2, 2, 2).sub(1, 1, 2, 1)).is_err());
    }
}
