//! The state file format, shared by every backend: bytes to [`State`] and back, and the rules
//! for replacing one stored state with another.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde::de::{Deserializer, Error as _, MapAccess, SeqAccess, Visitor};

use super::{ResourceRecord, State, StateError, FORMAT_VERSION};
use crate::blueprint::user_file::{self, UserFileError};
use crate::blueprint::JsonErrorAt;
use crate::resources::{ResourceId, Value};

/// The largest state file eksforge reads (a local state, a file given to `state push`). The
/// state of the reference cluster is tens of KiB; the cap only stops a path that names
/// something else (`/dev/zero`, a disk image) from being read into memory whole.
pub const MAX_STATE_FILE_BYTES: u64 = 64 << 20;

/// The bytes of the state file at `path`, `None` when nothing is there. Only a regular file
/// (or a symlink to one) of at most [`MAX_STATE_FILE_BYTES`] is read (`blueprint::user_file`):
/// a FIFO or device at the state path would block or never end.
pub fn read_file(path: &Path, action: &'static str) -> Result<Option<Vec<u8>>, StateError> {
    match user_file::read(path, MAX_STATE_FILE_BYTES) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.is_not_found() => Ok(None),
        Err(UserFileError::Io(source)) => Err(StateError::Io {
            path: path.to_path_buf(),
            action,
            source,
        }),
        Err(refused) => Err(StateError::NotAStateFile {
            path: path.to_path_buf(),
            reason: refused.to_string(),
        }),
    }
}

/// `Ok` when the state path holds a regular file or nothing: checked before the lock file is
/// made beside it, so a state path naming a device or FIFO takes no lock (`/dev/zero.lock`).
pub fn check_path(path: &Path) -> Result<(), StateError> {
    user_file::absent_or_regular(path).map_err(|refused| match refused {
        UserFileError::Io(source) => StateError::Io {
            path: path.to_path_buf(),
            action: "inspect state file",
            source,
        },
        refused => StateError::NotAStateFile {
            path: path.to_path_buf(),
            reason: refused.to_string(),
        },
    })
}

/// `state` as pretty JSON with a trailing newline. Keys come out sorted (every map is a
/// `BTreeMap`), so the same state always gives the same bytes.
pub fn encode(path: &Path, state: &State) -> Result<Vec<u8>, StateError> {
    let mut bytes = serde_json::to_vec_pretty(state).map_err(|error| StateError::Unwritable {
        path: path.to_path_buf(),
        detail: error.to_string(),
    })?;
    bytes.push(b'\n');
    // Never write what could not be read back (an id of the wrong kind, an unresolved
    // reference): the next run would be stuck on it.
    decode(path, &bytes).map_err(|error| StateError::Unwritable {
        path: path.to_path_buf(),
        detail: match error {
            StateError::Corrupt { detail, .. } => detail,
            other => other.to_string(),
        },
    })?;
    Ok(bytes)
}

/// Reads a stored state, refusing anything that is not a state this eksforge understands:
/// invalid JSON, a wrong shape, unknown fields, ids that are not resource ids, a record whose
/// kind differs from its id's, unresolved references ([`StateError::Corrupt`]), or a newer
/// format ([`StateError::NewerFormat`]).
pub fn decode(path: &Path, bytes: &[u8]) -> Result<State, StateError> {
    // First only the version, so a newer format is reported as such and not as a wrong
    // shape. Reading an object here also refuses a top-level array, which serde would
    // otherwise accept for a struct.
    let probe: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(bytes).map_err(|error| corrupt(path, bytes, &error))?;
    match probe
        .get("format_version")
        .and_then(serde_json::Value::as_u64)
    {
        Some(found) if found > u64::from(FORMAT_VERSION) => {
            return Err(StateError::NewerFormat {
                path: path.to_path_buf(),
                found,
                supported: FORMAT_VERSION,
            })
        }
        Some(0) => {
            return Err(StateError::Corrupt {
                path: path.to_path_buf(),
                line: 0,
                column: 0,
                detail: "format_version 0 was never written by eksforge".to_string(),
            })
        }
        _ => {}
    }
    serde_json::from_slice(bytes).map_err(|error| corrupt(path, bytes, &error))
}

/// The column in characters, as an editor opening the file shows it.
fn corrupt(path: &Path, bytes: &[u8], error: &serde_json::Error) -> StateError {
    let at = JsonErrorAt::of(bytes, error);
    StateError::Corrupt {
        path: path.to_path_buf(),
        line: at.line,
        column: at.column,
        detail: at.detail,
    }
}

/// Whether `new` may replace `stored`: same blueprint, same lineage, and a newer serial (or
/// the same serial with the same content, which changes nothing).
pub fn check_overwrite(path: &Path, stored: &State, new: &State) -> Result<(), StateError> {
    if stored.blueprint != new.blueprint {
        return Err(StateError::WrongBlueprint {
            path: path.to_path_buf(),
            found: stored.blueprint.clone(),
            expected: new.blueprint.clone(),
        });
    }
    if stored.lineage != new.lineage {
        return Err(StateError::LineageMismatch {
            path: path.to_path_buf(),
            found: stored.lineage.clone(),
            expected: new.lineage.clone(),
        });
    }
    if stored.serial > new.serial || (stored.serial == new.serial && stored != new) {
        return Err(StateError::StaleSerial {
            path: path.to_path_buf(),
            stored: stored.serial,
            writing: new.serial,
        });
    }
    Ok(())
}

fn parse_id<E: serde::de::Error>(text: &str) -> Result<ResourceId, E> {
    ResourceId::parse(text).ok_or_else(|| {
        E::custom(format!(
            "`{text}` is not a resource id (`<kind>.<name>` with a kind eksforge knows)"
        ))
    })
}

fn holds_reference(value: &Value) -> bool {
    value.has_refs()
}

/// `resources`: every key a valid id, no key twice, each record of its id's kind and holding
/// only resolved values.
pub(super) fn resources<'de, D>(
    deserializer: D,
) -> Result<BTreeMap<ResourceId, ResourceRecord>, D::Error>
where
    D: Deserializer<'de>,
{
    struct Records;

    impl<'de> Visitor<'de> for Records {
        type Value = BTreeMap<ResourceId, ResourceRecord>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map from resource id to resource record")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut records = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                let id: ResourceId = parse_id(&key)?;
                if records.contains_key(&id) {
                    return Err(A::Error::custom(format!("resource `{id}` appears twice")));
                }
                let record: ResourceRecord = map.next_value()?;
                if record.kind != id.kind() {
                    return Err(A::Error::custom(format!(
                        "resource `{id}` is recorded with kind `{}`",
                        record.kind
                    )));
                }
                let unresolved = record
                    .attrs
                    .iter()
                    .chain(&record.outputs)
                    .find(|(_, value)| holds_reference(value));
                if let Some((name, _)) = unresolved {
                    return Err(A::Error::custom(format!(
                        "`{name}` of resource `{id}` holds an unresolved reference"
                    )));
                }
                records.insert(id, record);
            }
            Ok(records)
        }
    }

    deserializer.deserialize_map(Records)
}

/// `generations`: every key a valid id.
pub(super) fn generations<'de, D>(deserializer: D) -> Result<BTreeMap<ResourceId, u64>, D::Error>
where
    D: Deserializer<'de>,
{
    struct Counts;

    impl<'de> Visitor<'de> for Counts {
        type Value = BTreeMap<ResourceId, u64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map from resource id to a count")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut counts = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                let id: ResourceId = parse_id(&key)?;
                counts.insert(id, map.next_value::<u64>()?);
            }
            Ok(counts)
        }
    }

    deserializer.deserialize_map(Counts)
}

/// `depends_on`: every entry a valid id.
pub(super) fn resource_ids<'de, D>(deserializer: D) -> Result<BTreeSet<ResourceId>, D::Error>
where
    D: Deserializer<'de>,
{
    struct Ids;

    impl<'de> Visitor<'de> for Ids {
        type Value = BTreeSet<ResourceId>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of resource ids")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut ids = BTreeSet::new();
            while let Some(text) = seq.next_element::<String>()? {
                ids.insert(parse_id(&text)?);
            }
            Ok(ids)
        }
    }

    deserializer.deserialize_seq(Ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Kind;
    use std::path::PathBuf;

    fn path() -> PathBuf {
        PathBuf::from("state/t.json")
    }

    fn sample() -> State {
        let mut state = State::new("t");
        state.serial = 3;
        let vpc = ResourceId::new(Kind::Vpc, "main");
        let subnet = ResourceId::new(Kind::Subnet, "private.a");
        state.resources.insert(
            vpc.clone(),
            ResourceRecord {
                kind: Kind::Vpc,
                cloud_id: "vpc-1".into(),
                attrs: BTreeMap::from([("cidr".into(), Value::str("10.0.0.0/16"))]),
                outputs: BTreeMap::from([("id".into(), Value::str("vpc-1"))]),
                depends_on: BTreeSet::new(),
            },
        );
        state.generations.insert(subnet.clone(), 2);
        state.resources.insert(
            subnet,
            ResourceRecord {
                kind: Kind::Subnet,
                cloud_id: "subnet-1".into(),
                attrs: BTreeMap::from([
                    ("vpc_id".into(), Value::str("vpc-1")),
                    ("tags".into(), Value::Map(BTreeMap::new())),
                    ("count".into(), Value::Int(2)),
                ]),
                outputs: BTreeMap::new(),
                depends_on: BTreeSet::from([vpc]),
            },
        );
        state
    }

    /// Decoding `text` fails with a `Corrupt` error whose detail contains `expected`.
    fn check_corrupt(text: &str, expected: &str) {
        match decode(&path(), text.as_bytes()) {
            Err(StateError::Corrupt { detail, .. }) => {
                assert!(detail.contains(expected), "{detail:?} lacks {expected:?}")
            }
            other => panic!("expected Corrupt for {text}, got {other:?}"),
        }
    }

    fn sample_json() -> String {
        String::from_utf8(encode(&path(), &sample()).expect("encodes")).expect("utf-8")
    }

    #[test]
    fn encode_is_deterministic_pretty_and_round_trips() {
        let state = sample();
        let bytes = encode(&path(), &state).expect("encodes");
        assert_eq!(bytes, encode(&path(), &state.clone()).expect("encodes"));
        assert!(bytes.ends_with(b"}\n"));
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(text.contains("\n  \"serial\": 3,\n"), "{text}");
        assert!(text.find("\"count\"") < text.find("\"vpc_id\""));
        assert_eq!(decode(&path(), &bytes).expect("decodes"), state);
    }

    #[test]
    fn depends_on_and_generations_default_to_empty() {
        let text = sample_json()
            .replace(
                ",\n      \"depends_on\": [\n        \"vpc.main\"\n      ]",
                "",
            )
            .replace(",\n      \"depends_on\": []", "");
        let text = text.replace(
            ",\n  \"generations\": {\n    \"subnet.private.a\": 2\n  }",
            "",
        );
        assert!(
            !text.contains("depends_on") && !text.contains("generations"),
            "{text}"
        );
        let state = decode(&path(), text.as_bytes()).expect("decodes");
        assert!(state.resources.values().all(|r| r.depends_on.is_empty()));
        assert!(state.generations.is_empty());
    }

    #[test]
    fn refuses_what_is_not_a_state() {
        check_corrupt("", "EOF");
        check_corrupt("{\"format_version\": 1,", "EOF");
        check_corrupt("[]", "invalid type");
        check_corrupt("{\"format_version\": 1}", "missing field");
        check_corrupt("{\"format_version\": 0}", "format_version 0");
        check_corrupt("{\"format_version\": \"1\"}", "invalid type");
        let json = sample_json();
        check_corrupt(&format!("{json}x"), "trailing characters");
        check_corrupt(
            &json.replace("\"serial\"", "\"extra\": 1, \"serial\""),
            "unknown field",
        );
        check_corrupt(
            &json.replace("\"vpc.main\": {", "\"bogus.main\": {"),
            "`bogus.main`",
        );
        check_corrupt(
            &json.replace("\"kind\": \"vpc\"", "\"kind\": \"subnet\""),
            "kind `subnet`",
        );
        check_corrupt(
            &json.replace(
                "\"vpc-1\"\n      },",
                "{\"$ref\": \"vpc.main.id\"}\n      },",
            ),
            "unresolved reference",
        );
        check_corrupt(
            &json.replace("        \"vpc.main\"\n", "        \"vpc\"\n"),
            "`vpc`",
        );
        check_corrupt(
            &json.replace("\"generations\": {", "\"generations\": {\"x\": 1,"),
            "`x`",
        );
        check_corrupt(
            &json.replace("\"subnet.private.a\": 2", "\"subnet.private.a\": -1"),
            "-1",
        );
    }

    #[test]
    fn encode_refuses_what_decode_would_refuse() {
        let mut state = sample();
        let vpc = ResourceId::new(Kind::Vpc, "main");
        if let Some(record) = state.resources.get_mut(&vpc) {
            record.attrs.insert("self".into(), vpc.output("id"));
        }
        match encode(&path(), &state) {
            Err(StateError::Unwritable { detail, .. }) => {
                assert!(detail.contains("unresolved reference"), "{detail}")
            }
            other => panic!("expected Unwritable, got {other:?}"),
        }
    }

    #[test]
    fn corrupt_reports_the_position() {
        let text = "{\n  \"format_version\": 1,\n  \"serial\": oops\n}\n";
        match decode(&path(), text.as_bytes()) {
            Err(StateError::Corrupt { line, column, .. }) => assert_eq!((line, column), (3, 13)),
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }

    #[test]
    fn corrupt_counts_the_column_in_characters() {
        let text = "{\"blueprint\": \"débâcle\", \"serial\": oops}";
        match decode(&path(), text.as_bytes()) {
            Err(StateError::Corrupt { line, column, .. }) => assert_eq!((line, column), (1, 36)),
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }

    #[test]
    fn newer_format_is_reported_before_the_shape() {
        match decode(&path(), b"{\"format_version\": 2, \"something\": \"else\"}") {
            Err(StateError::NewerFormat {
                found: 2,
                supported,
                ..
            }) => {
                assert_eq!(supported, FORMAT_VERSION)
            }
            other => panic!("expected NewerFormat, got {other:?}"),
        }
    }

    #[test]
    fn overwrite_rules() {
        let stored = sample();
        let mut newer = stored.clone();
        newer.serial += 1;
        assert!(check_overwrite(&path(), &stored, &newer).is_ok());
        assert!(check_overwrite(&path(), &stored, &stored.clone()).is_ok());

        let mut changed_same_serial = stored.clone();
        changed_same_serial.resources.clear();
        assert!(matches!(
            check_overwrite(&path(), &stored, &changed_same_serial),
            Err(StateError::StaleSerial {
                stored: 3,
                writing: 3,
                ..
            })
        ));
        assert!(matches!(
            check_overwrite(&path(), &newer, &stored),
            Err(StateError::StaleSerial {
                stored: 4,
                writing: 3,
                ..
            })
        ));
        let mut other_lineage = newer.clone();
        other_lineage.lineage = "other".into();
        assert!(matches!(
            check_overwrite(&path(), &stored, &other_lineage),
            Err(StateError::LineageMismatch { .. })
        ));
        let mut other_blueprint = newer;
        other_blueprint.blueprint = "other".into();
        assert!(matches!(
            check_overwrite(&path(), &stored, &other_blueprint),
            Err(StateError::WrongBlueprint { .. })
        ));
    }
}
