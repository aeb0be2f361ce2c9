//! English country names for ISO 3166-1 alpha-2 codes.

/// The English name of a country code, or `Unknown (XX)`.
pub fn country_name(code: &str) -> String {
    match isocountry::CountryCode::for_alpha2(code) {
        Ok(c) => c.name().to_string(),
        Err(_) => format!("Unknown ({code})"),
    }
}
