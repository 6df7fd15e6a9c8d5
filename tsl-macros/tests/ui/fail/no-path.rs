use tsl_macros::tsl_model;

#[tsl_model(cloud = false)]
mod fan {}

fn main() {}
