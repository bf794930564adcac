namespace TorchMmap.Internal;

// What the header's Python literal parser found wrong; HeaderSyntax adds the file and the offsets.
internal static partial class Messages
{
    public const string LiteralTrailing = "unexpected '{0}' after the literal";
    public const string LiteralTooDeep = "nesting is too deep";
    public const string LiteralEnd = "unexpected end of header";
    public const string LiteralName = "'{0}' is a name, not a literal";
    public const string LiteralUnexpected = "unexpected '{0}'";
    public const string LiteralKeyNotHashable = "a dict key must be hashable";
    public const string LiteralEscape = "the escape '\\{0}' is not supported";
    public const string LiteralUnterminatedString = "unterminated string";
    public const string LiteralSignOnly = "a sign with no number";
    public const string LiteralUnderscore = "misplaced '_' in a number";
    public const string LiteralMalformedNumber = "malformed number";
    public const string LiteralLeadingZeros = "leading zeros in an integer";
    public const string LiteralIntegerTooLong = "an integer of over 4000 digits";
    public const string LiteralExpectedAtEnd = "expected '{0}' but the header ended";
    public const string LiteralExpected = "expected '{0}' but found '{1}'";
}
