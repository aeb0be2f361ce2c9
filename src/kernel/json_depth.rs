//! How deeply a JSON text nests, measured on the bytes before any parser sees them.

/// Whether the JSON text `bytes` nests arrays and objects more than `max` levels deep.
/// Brackets inside strings do not count; the text need not be valid JSON.
pub fn nests_deeper_than(bytes: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::nests_deeper_than;

    #[test]
    fn depth_counts_arrays_and_objects_outside_strings() {
        assert!(!nests_deeper_than(br#"{"a":[{"b":1}]}"#, 3));
        assert!(nests_deeper_than(br#"{"a":[{"b":[1]}]}"#, 3));
        assert!(!nests_deeper_than(br#"{"a":"[[[[[[\"[[[["}"#, 1));
        assert!(nests_deeper_than(&[b'['; 100], 64));
        assert!(!nests_deeper_than(b"", 0));
    }
}
