//! IAM / KMS policy documents: one canonical JSON form (keys sorted, no whitespace) for both
//! what we send and what the API returns, so a diff compares meaning, not formatting.

/// The canonical form of a policy document (`None` when it is not JSON), and the serialiser
/// behind it: sorted keys, single statements/values normalised (see `resources::policy`,
/// where the desired documents are built the same way). IAM returns documents URL-encoded:
/// decode first (`percent_decode`).
pub use crate::resources::policy::{canonical, canonical_json};

/// Decodes `%XX` escapes (and `+` as space) as IAM's query API returns policy documents.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        index += 3;
                    }
                    None => {
                        out.push(b'%');
                        index += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                index += 1;
            }
            byte => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_and_single_element_arrays_do_not_matter() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole"],"Principal":{"Service":"eks.amazonaws.com"}}]}"#;
        let b = "{\n \"Statement\": {\"Principal\": {\"Service\": \"eks.amazonaws.com\"}, \"Action\": \"sts:AssumeRole\", \"Effect\": \"Allow\"},\n \"Version\": \"2012-10-17\"}";
        assert_eq!(canonical(a), canonical(b));
        assert_eq!(percent_decode("%7B%22a%22%3A1%7D"), "{\"a\":1}");
        assert!(canonical("not json").is_none());
    }
}
