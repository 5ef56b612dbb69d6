//! How identifiers are shown to someone who does not need them whole: enough to tell two people
//! apart on a call, not enough to be the number. Written once; every view that masks uses it.

use crate::SubjectType;

/// Keeps `head` leading and `tail` trailing characters and stars the rest.
fn keep(value: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut s: String = chars[..head].iter().collect();
    s.push_str(&"*".repeat(chars.len() - head - tail));
    s.extend(&chars[chars.len() - tail..]);
    s
}

/// `330802199001011234` → `330802********1234`: the region of birth and the last four stay.
/// Anything shorter than a resident ID (a passport number, say) keeps its first two characters.
pub fn id_number(id: &str) -> String {
    let n = id.chars().count();
    if n < 14 {
        let head = 2.min(n / 2);
        return keep(id, head, 0);
    }
    keep(id, 6, 4)
}

/// `13800001234` → `138****1234`.
pub fn phone(phone: &str) -> String {
    if phone.chars().count() < 8 {
        return "*".repeat(phone.chars().count());
    }
    keep(phone, 3, 4)
}

/// `浙H12345` → `浙H***45`: the province and city letter stay, and the last two.
pub fn plate(plate: &str) -> String {
    keep(plate, 2, 2)
}

/// `张三丰` → `张*`: the first character, enough to greet, not to look up (nor to count the
/// name's length).
pub fn name(name: &str) -> String {
    name.chars()
        .next()
        .map(|c| format!("{c}*"))
        .unwrap_or_default()
}

/// A value of a subject type, masked as its kind is.
pub fn value(ty: SubjectType, v: &str) -> String {
    match ty {
        SubjectType::IdNumber => id_number(v),
        SubjectType::Phone => phone(v),
        SubjectType::Plate => plate(v),
        // A person_id is the registry's own key, not a personal number.
        SubjectType::PersonId => v.to_owned(),
    }
}

/// A subject's contract name with its value masked: `phone:138****1234`,
/// `id_number:330802********1234`; a person_id is returned as it is.
pub fn subject(name: &str) -> String {
    let Some((ty, v)) = name.split_once(':') else {
        return name.to_owned();
    };
    match SubjectType::parse("subject_type", ty) {
        Ok(t) => format!("{ty}:{}", value(t, v)),
        Err(_) => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_their_region_and_last_four() {
        assert_eq!(id_number("330802199001011234"), "330802********1234");
        assert_eq!(id_number("33080219900101123X"), "330802********123X");
        assert_eq!(id_number("E1234567"), "E1******");
        assert_eq!(id_number("12"), "1*");
    }

    #[test]
    fn phones_keep_their_prefix_and_last_four() {
        assert_eq!(phone("13800001234"), "138****1234");
        assert_eq!(phone("1234"), "****");
    }

    #[test]
    fn unresolved_subjects_are_masked_like_registered_ones() {
        assert_eq!(subject("phone:13100011016"), "phone:131****1016");
        assert_eq!(
            subject("id_number:330802199001011234"),
            "id_number:330802********1234"
        );
        assert_eq!(subject("plate:浙H12345"), "plate:浙H***45");
        assert_eq!(subject("P000123"), "P000123");
    }
}
