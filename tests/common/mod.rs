//! What several test programs share (`mod common;` in each): the random
//! numbers and the complex element type. Each test program uses a part of
//! it, so unused items are allowed here.
#![allow(dead_code)]

/// A xorshift generator: the same sequence for a seed on every machine.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in (-1, -0.1] U [0.1, 1): never zero.
    pub fn value(&mut self) -> f64 {
        let x = (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 1.8 - 0.9;
        x + 0.1f64.copysign(x)
    }

    pub fn values(&mut self, len: usize) -> Vec<f64> {
        (0..len).map(|_| self.value()).collect()
    }
}

/// A COMPLEX or COMPLEX*16 as Fortran stores it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Cx<R> {
    pub re: R,
    pub im: R,
}
