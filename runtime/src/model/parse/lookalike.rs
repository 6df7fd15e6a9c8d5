//! Thing models of other platforms that resemble Alibaba's TSL closely enough to be passed
//! by mistake (OneNET, NewLife/FeiFan). They are refused up front with what they appear to
//! be, instead of a cascade of "unknown data type" errors.

use serde_json::Value;

/// What a look-alike appears to be, what gave it away, and where.
pub(super) struct LookAlike {
    pub format: &'static str,
    pub evidence: String,
    pub pointer: String,
}

const ONENET: &str = "a OneNET (China Mobile) thing model";
const FEIFAN: &str = "a NewLife/FeiFan IoT thing model";

pub(super) fn detect(root: &Value) -> Option<LookAlike> {
    let found = |format, evidence: String, pointer: String| {
        Some(LookAlike {
            format,
            evidence,
            pointer,
        })
    };
    if let Some(profile) = root.get("profile") {
        for key in ["industryId", "sceneId", "categoryId"] {
            if profile.get(key).is_some() {
                return found(
                    ONENET,
                    format!("`profile.{key}`"),
                    format!("/profile/{key}"),
                );
            }
        }
    }
    if let Some(schema) = root.get("schema").and_then(Value::as_str) {
        if schema.contains("feifan") {
            return found(FEIFAN, format!("schema `{schema}`"), "/schema".into());
        }
    }
    let alibaba_schema = root
        .get("schema")
        .and_then(Value::as_str)
        .is_some_and(|s| s.contains("aliyun"));
    for list in ["properties", "events", "services"] {
        let Some(items) = root.get(list).and_then(Value::as_array) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let ptr = format!("/{list}/{i}");
            if item.get("functionType").is_some() {
                return found(
                    ONENET,
                    "`functionType`".into(),
                    format!("{ptr}/functionType"),
                );
            }
            if let Some(specs) = item.pointer("/dataType/specs") {
                if specs.get("mapping").is_some() {
                    return found(
                        FEIFAN,
                        "`mapping` in specs".into(),
                        format!("{ptr}/dataType/specs/mapping"),
                    );
                }
            }
            if alibaba_schema {
                continue;
            }
            if let Some(hit) = foreign_type(item, &ptr) {
                return Some(hit);
            }
        }
    }
    None
}

/// `int32`/`string` types and `true`/`false` bool keys: OneNET's vocabulary.
fn foreign_type(item: &Value, ptr: &str) -> Option<LookAlike> {
    let dt = item.get("dataType")?;
    let ty = dt.get("type")?.as_str()?;
    if matches!(ty, "int32" | "int64" | "string" | "uint32") {
        return Some(LookAlike {
            format: ONENET,
            evidence: format!("data type `{ty}`"),
            pointer: format!("{ptr}/dataType/type"),
        });
    }
    if ty == "bool" {
        let specs = dt.get("specs")?.as_object()?;
        if specs.contains_key("true") || specs.contains_key("false") {
            return Some(LookAlike {
                format: ONENET,
                evidence: "bool specs keyed `true`/`false`".into(),
                pointer: format!("{ptr}/dataType/specs"),
            });
        }
    }
    None
}
