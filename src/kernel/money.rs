//! Money summed exactly. Amounts arrive as decimal numbers; adding them as binary floats
//! drifts (`117600.00000000001`). Sums are kept in integer thousandths of the currency unit —
//! exact for every ISO 4217 currency, none of which has more than three decimals — and turned
//! back into a number once; a figure derived from sums (a mean, a monthly share) is rounded to
//! thousandths once, at the end.

/// Thousandths of the unit in one amount.
pub fn mills(amount: f64) -> i64 {
    (amount * 1_000.0).round() as i64
}

/// An amount from thousandths of the unit.
pub fn amount(mills: i64) -> f64 {
    mills as f64 / 1_000.0
}

/// A derived money figure, rounded to thousandths of the unit.
pub fn rounded(value: f64) -> f64 {
    (value * 1_000.0).round() / 1_000.0
}

/// The exact sum of amounts.
pub fn sum(amounts: impl Iterator<Item = f64>) -> f64 {
    amount(amounts.map(mills).sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_of_decimal_amounts_are_exact() {
        let amounts = [9.99, 29.97, 0.1, 0.2, 117_599.73];
        let float: f64 = amounts.iter().sum();
        let exact = sum(amounts.iter().copied());
        assert_eq!(exact, 117_639.99);
        assert_ne!(float, 117_639.99, "binary floats drift (which is why)");
        assert_eq!(rounded(10.0 / 3.0), 3.333);
        assert_eq!(amount(mills(-1.005)), -1.005);
    }
}
