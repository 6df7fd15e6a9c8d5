//! Floats as the platform accepts them: always a decimal point, never an exponent. Defined
//! below the model in `crate::float` (a model bound uses it too); this is their public path.

pub use crate::float::{format_f32, format_f64, NotFinite};
