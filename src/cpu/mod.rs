//! The host steps of the GPU SVD (to move into src/ops/svd/).

pub mod bdsdc;
pub mod bulge;
