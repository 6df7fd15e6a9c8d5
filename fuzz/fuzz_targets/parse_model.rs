//! Feeds arbitrary bytes to the TSL model parser: it must never panic, overflow the stack
//! or hang, whatever it is given. Every diagnostic is also rendered, so that `Display`
//! code (locations, hints, pointers) is exercised on hostile input too.

#![no_main]

use std::fmt::Write as _;

use libfuzzer_sys::fuzz_target;
use tsl_runtime::model::Model;

fuzz_target!(|data: &[u8]| {
    let mut sink = String::new();
    match Model::parse_bytes(data, "fuzz") {
        Ok(parsed) => {
            for warning in &parsed.warnings {
                let _ = write!(sink, "{warning}");
            }
            for (module, property) in parsed.model.properties() {
                assert!(
                    property.wire_identifier.ends_with(&property.identifier),
                    "wire identifier {:?} of module {:?} does not end with {:?}",
                    property.wire_identifier,
                    module.id,
                    property.identifier
                );
                let _ = write!(sink, "{:?}", property.data_type);
            }
            for (_, service) in parsed.model.services() {
                let _ = write!(sink, "{}", service.method);
            }
        }
        Err(err) => {
            for diagnostic in &err.diagnostics {
                assert!(
                    diagnostic.pointer.is_empty() || diagnostic.pointer.starts_with('/'),
                    "malformed pointer {:?}",
                    diagnostic.pointer
                );
                let _ = write!(sink, "{diagnostic}");
            }
            let _ = write!(sink, "{err}");
        }
    }
    std::hint::black_box(sink);
});
