//! The three identifiers the contract validates wherever they appear: the 18-character resident
//! ID, the mainland mobile number and the vehicle plate. Each `parse` returns the stored,
//! normalised form or a reason written for the clerk who has to fix the row.

use std::fmt;

/// A resident ID number: 17 digits and a check character (ISO 7064 MOD 11-2), stored with an
/// upper-case `X`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber(String);

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

impl IdNumber {
    /// Parses `s`; the error is the whole reason, naming the value.
    pub fn parse(s: &str) -> Result<IdNumber, String> {
        let b = s.as_bytes();
        if b.len() != 18
            || !b[..17].iter().all(u8::is_ascii_digit)
            || !(b[17].is_ascii_digit() || b[17] == b'X' || b[17] == b'x')
        {
            return Err(format!(
                "id_number {s}: must be 18 characters, 17 digits then a digit or X"
            ));
        }
        let expected = Self::check_char(&b[..17]);
        let given = b[17].to_ascii_uppercase();
        if given != expected {
            return Err(format!(
                "id_number {s}: check digit should be {}",
                expected as char
            ));
        }
        let mut v = s.to_owned();
        v.make_ascii_uppercase();
        Ok(IdNumber(v))
    }

    /// Completes 17 digits with their check character: `330802199001010001` from
    /// `33080219900101000`. Panics unless given exactly 17 ASCII digits (a caller's bug).
    pub fn complete(digits17: &str) -> String {
        assert!(
            digits17.len() == 17 && digits17.bytes().all(|b| b.is_ascii_digit()),
            "17 digits: {digits17}"
        );
        format!(
            "{digits17}{}",
            Self::check_char(digits17.as_bytes()) as char
        )
    }

    /// The check character for 17 leading digits.
    pub fn check_char(digits17: &[u8]) -> u8 {
        let sum: u32 = digits17
            .iter()
            .zip(ID_WEIGHTS)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        ID_CHECK[(sum % 11) as usize]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `330802********1234`: the form shown wherever the full number is not needed.
    pub fn masked(&self) -> String {
        crate::mask::id_number(&self.0)
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A mainland mobile number: 11 digits starting with 1, stored without `+86`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Result<Phone, String> {
        let digits = match s.strip_prefix("+86") {
            // A space or hyphen after the country code is how people write it; accept it.
            Some(rest) => rest
                .strip_prefix(' ')
                .or_else(|| rest.strip_prefix('-'))
                .unwrap_or(rest),
            None => s,
        };
        let b = digits.as_bytes();
        if b.len() == 11 && b[0] == b'1' && b.iter().all(u8::is_ascii_digit) {
            Ok(Phone(digits.to_owned()))
        } else {
            Err(format!(
                "phone {s}: must be 11 digits starting with 1, optionally after +86"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A vehicle plate, upper-case, without the separator after the second character.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Plate(String);

/// The province characters a plate may start with (CONTRACT.md, vehicles).
pub const PLATE_PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

impl Plate {
    pub fn parse(s: &str) -> Result<Plate, String> {
        let bad = |why: &str| Err(format!("plate {s}: {why}"));
        let mut chars = s.chars();
        let Some(province) = chars.next() else {
            return bad("is empty");
        };
        if !PLATE_PROVINCES.contains(province) {
            return bad("must start with a province character such as 浙 or 京");
        }
        let letter = match chars.next() {
            Some(c) if c.is_ascii_alphabetic() => c.to_ascii_uppercase(),
            _ => return bad("the second character must be a letter A-Z"),
        };
        let rest: &str = chars.as_str();
        let rest = rest.strip_prefix(['·', '•', '-', ' ']).unwrap_or(rest);
        let n = rest.chars().count();
        if !(n == 5 || n == 6) || !rest.chars().all(|c| c.is_ascii_alphanumeric()) {
            return bad("after the province and letter, 5 or 6 letters or digits are needed");
        }
        let mut out = String::with_capacity(s.len());
        out.push(province);
        out.push(letter);
        out.extend(rest.chars().map(|c| c.to_ascii_uppercase()));
        Ok(Plate(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn id_number_check_digit() {
        // 11010519491231002X is the textbook example of a valid ID with an X check character.
        assert_eq!(
            IdNumber::parse("11010519491231002X").unwrap().as_str(),
            "11010519491231002X"
        );
        assert_eq!(
            IdNumber::parse("11010519491231002x").unwrap().as_str(),
            "11010519491231002X"
        );
        let err = IdNumber::parse("110105194912310021").unwrap_err();
        assert_eq!(err, "id_number 110105194912310021: check digit should be X");
        assert!(
            IdNumber::parse("11010519491231002")
                .unwrap_err()
                .contains("18 characters")
        );
        assert!(IdNumber::parse("1101051949123100AX").is_err());
        assert!(IdNumber::parse("").is_err());
    }

    #[test]
    fn completing_17_digits_gives_a_valid_number() {
        assert_eq!(
            IdNumber::complete("11010519491231002"),
            "11010519491231002X"
        );
        assert!(IdNumber::parse(&IdNumber::complete("33080219900101000")).is_ok());
    }

    #[test]
    fn id_number_masks() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.masked(), "110105********002X");
    }

    proptest! {
        #[test]
        fn every_17_digits_have_exactly_one_valid_check_char(digits in "[0-9]{17}") {
            let valid: Vec<char> = "0123456789X".chars()
                .filter(|c| IdNumber::parse(&format!("{digits}{c}")).is_ok())
                .collect();
            prop_assert_eq!(valid.len(), 1);
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,24}") {
            let _ = IdNumber::parse(&s);
            let _ = Phone::parse(&s);
            let _ = Plate::parse(&s);
        }
    }

    #[test]
    fn phones() {
        assert_eq!(Phone::parse("13800000000").unwrap().as_str(), "13800000000");
        assert_eq!(
            Phone::parse("+8613800000000").unwrap().as_str(),
            "13800000000"
        );
        assert_eq!(
            Phone::parse("+86 13800000000").unwrap().as_str(),
            "13800000000"
        );
        assert!(Phone::parse("1380000000").is_err());
        assert!(Phone::parse("23800000000").is_err());
        assert!(Phone::parse("+8513800000000").is_err());
        assert!(Phone::parse("1380000000a").is_err());
    }

    #[test]
    fn plates() {
        assert_eq!(Plate::parse("浙H12345").unwrap().as_str(), "浙H12345");
        assert_eq!(Plate::parse("浙H·12345").unwrap().as_str(), "浙H12345");
        assert_eq!(Plate::parse("浙h•a2345").unwrap().as_str(), "浙HA2345");
        assert_eq!(Plate::parse("浙H-D12345").unwrap().as_str(), "浙HD12345");
        assert_eq!(Plate::parse("浙H 12345").unwrap().as_str(), "浙H12345");
        assert!(Plate::parse("A12345").unwrap_err().contains("province"));
        assert!(
            Plate::parse("浙112345")
                .unwrap_err()
                .contains("second character")
        );
        assert!(Plate::parse("浙H1234").unwrap_err().contains("5 or 6"));
        assert!(Plate::parse("浙H1234567").is_err());
        assert!(Plate::parse("浙H12·345").is_err());
        assert!(Plate::parse("港H12345").is_err());
    }
}
