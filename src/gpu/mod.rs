//! The GPU algorithms of the routine families (to move into src/ops/).

pub mod alpha;
pub mod gesvd;
pub mod lu;
pub mod svd;
