import Runtime

/// Strict base64url decoding (RFC 4648 §5) for JWS segments (RFC 7515 §2: no padding, no whitespace).
///
/// Strict means that every byte string has exactly one accepted encoding: no `=`, no `+` or `/`, no whitespace or
/// line breaks, no length of the form 4n+1, and the unused low bits of the last character must be zero. A lenient
/// decoder would let one token be written many ways (Wycheproof tc 360–375), which breaks any cache, deny-list or
/// log correlation keyed on the token text. This is an encoding, not cryptography.
enum Base64URL {
    /// The bytes that `text` encodes, or nil when `text` is not canonical base64url without padding.
    static func decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        Base64Digits.url.decode(text)
    }
}
