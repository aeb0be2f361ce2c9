//! Filter lists: every dashboard filter is a set of lists of values, normalised the same way
//! (mapped, sorted, deduplicated, bounded) so equal filters share cache entries and presets.

use super::{AppError, AppResult};

/// At most this many values in one filter list.
pub const MAX_VALUES: usize = 500;
/// At most this many characters in one filter value: the longest text any dataset stores
/// (a longer value could match nothing).
pub const MAX_VALUE_CHARS: usize = 300;

/// `values` mapped with `map`, sorted and deduplicated; absent = empty = no filter.
/// `field` names the list in the error (`filter.<field>`).
pub fn normalised_list(
    field: &str,
    values: Option<Vec<String>>,
    map: impl Fn(String) -> String,
) -> AppResult<Vec<String>> {
    let mut values: Vec<String> = values.unwrap_or_default().into_iter().map(map).collect();
    if values.len() > MAX_VALUES {
        return Err(AppError::bad_input(
            format!("filter.{field}"),
            format!("at most {MAX_VALUES} values per filter list"),
        ));
    }
    if values.iter().any(|v| v.chars().count() > MAX_VALUE_CHARS) {
        return Err(AppError::bad_input(
            format!("filter.{field}"),
            format!("a filter value has at most {MAX_VALUE_CHARS} characters"),
        ));
    }
    values.sort();
    values.dedup();
    Ok(values)
}
