//! Generates the street lamp's typed code into `OUT_DIR/lamp.rs`. Cargo re-runs this only
//! when the model changes; the file is rewritten only when its content does.

fn main() {
    if let Err(e) = tsl_codegen::Builder::new()
        .model("../models/street-lamp.json")
        .out_file("lamp.rs")
        .generate_to_out_dir()
    {
        // The error names the file, line:col, JSON path and reason; no panic backtrace.
        eprintln!("{e}");
        std::process::exit(1);
    }
}
