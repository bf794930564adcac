using System.Globalization;
using System.Numerics;
using System.Text;
using TorchMmap.Internal;

namespace TorchMmap.Format;

/// <summary>
/// Parses the subset of Python literal syntax that a .npy header dict uses (what <c>ast.literal_eval</c> accepts
/// for it): dicts, tuples, lists, strings, integers, floats, <c>True</c>, <c>False</c> and <c>None</c>, with any
/// spacing and trailing commas. It never evaluates anything.
/// </summary>
internal ref struct PyLiteralParser
{
    // Deep nesting is never legitimate in a header; the cap keeps a hostile file from exhausting the stack.
    private const int MaxDepth = 32;

    private readonly ReadOnlySpan<char> _text;
    private readonly bool _allowLongSuffix;
    private int _pos;

    private PyLiteralParser(ReadOnlySpan<char> text, bool allowLongSuffix)
    {
        _text = text;
        _allowLongSuffix = allowLongSuffix;
        _pos = 0;
    }

    /// <summary>Parses one literal that must make up the whole text, apart from surrounding white space.</summary>
    /// <param name="text">The text.</param>
    /// <param name="allowLongSuffix">True to accept Python 2's <c>L</c> suffix on integers (<c>3L</c>), as NumPy does for
    /// version 1.0 and 2.0 headers, which Python 2 may have written.</param>
    /// <exception cref="PyLiteralException">The text is not a single literal.</exception>
    public static object? Parse(ReadOnlySpan<char> text, bool allowLongSuffix = false)
    {
        var parser = new PyLiteralParser(text, allowLongSuffix);
        object? value = parser.ParseValue(0);
        parser.SkipSpace();
        if (parser._pos != text.Length)
            throw new PyLiteralException(Messages.Format(Messages.LiteralTrailing, Printable(text[parser._pos])), parser._pos);
        return value;
    }

    /// <summary>Describes a parsed value for an error message, e.g. "a list" or "the string 'x'".</summary>
    public static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"the string '{s}'",
        bool b => b ? "True" : "False",
        BigInteger i => $"the integer {i}",
        double d => $"the float {d.ToString(CultureInfo.InvariantCulture)}",
        PyTuple => "a tuple",
        PyList => "a list",
        PyDict => "a dict",
        _ => value.GetType().Name,
    };

    /// <summary>Writes a parsed value back as Python's <c>repr</c> would, e.g. <c>[('a', '&lt;f4')]</c>, for messages.</summary>
    public static string Repr(object? value) => value switch
    {
        null => "None",
        string s => "'" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'",
        bool b => b ? "True" : "False",
        BigInteger i => i.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        PyTuple t => t.Items.Count == 1 ? "(" + Repr(t.Items[0]) + ",)" : "(" + string.Join(", ", t.Items.Select(Repr)) + ")",
        PyList l => "[" + string.Join(", ", l.Items.Select(Repr)) + "]",
        PyDict d => "{" + string.Join(", ", d.Entries.Select(e => Repr(e.Key) + ": " + Repr(e.Value))) + "}",
        _ => value.ToString() ?? string.Empty,
    };

    private object? ParseValue(int depth)
    {
        if (depth > MaxDepth)
            throw new PyLiteralException(Messages.LiteralTooDeep, _pos);
        SkipSpace();
        if (_pos >= _text.Length)
            throw new PyLiteralException(Messages.LiteralEnd, _pos);
        char c = _text[_pos];
        switch (c)
        {
            case '{':
                return ParseDict(depth);
            case '(':
                return ParseParenthesised(depth);
            case '[':
                return new PyList(ParseItems(']', depth));
            case '\'':
            case '"':
                return ParseString();
        }
        if (c is '-' or '+' or '.' || char.IsAsciiDigit(c))
            return ParseNumber();
        if (char.IsAsciiLetter(c) || c == '_')
        {
            int start = _pos;
            while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_'))
                _pos++;
            ReadOnlySpan<char> word = _text[start.._pos];
            // Python 3 still accepts Python 2's u'' prefix on strings.
            if (word is "u" or "U" && _pos < _text.Length && _text[_pos] is '\'' or '"')
                return ParseString();
            if (word.SequenceEqual("True"))
                return true;
            if (word.SequenceEqual("False"))
                return false;
            if (word.SequenceEqual("None"))
                return null;
            throw new PyLiteralException(Messages.Format(Messages.LiteralName, word.ToString()), start);
        }
        throw new PyLiteralException(Messages.Format(Messages.LiteralUnexpected, Printable(c)), _pos);
    }

    private PyDict ParseDict(int depth)
    {
        _pos++; // '{'
        var entries = new List<KeyValuePair<object?, object?>>();
        while (true)
        {
            SkipSpace();
            if (_pos < _text.Length && _text[_pos] == '}')
            {
                _pos++;
                return new PyDict(entries);
            }
            int keyAt = _pos;
            object? key = ParseValue(depth + 1);
            if (key is PyDict or PyList)
                throw new PyLiteralException(Messages.LiteralKeyNotHashable, keyAt);
            SkipSpace();
            Expect(':');
            object? value = ParseValue(depth + 1);
            entries.Add(new(key, value));
            SkipSpace();
            if (_pos < _text.Length && _text[_pos] == ',')
            {
                _pos++;
                continue;
            }
            SkipSpace();
            Expect('}');
            return new PyDict(entries);
        }
    }

    // "(x)" is x itself; "(x,)", "()" and "(x, y)" are tuples, as in Python.
    private object? ParseParenthesised(int depth)
    {
        _pos++; // '('
        var items = new List<object?>();
        bool sawComma = false;
        while (true)
        {
            SkipSpace();
            if (_pos < _text.Length && _text[_pos] == ')')
            {
                _pos++;
                if (items.Count == 1 && !sawComma)
                    return items[0];
                return new PyTuple(items);
            }
            items.Add(ParseValue(depth + 1));
            SkipSpace();
            if (_pos < _text.Length && _text[_pos] == ',')
            {
                _pos++;
                sawComma = true;
                continue;
            }
            Expect(')');
            return items.Count == 1 && !sawComma ? items[0] : new PyTuple(items);
        }
    }

    private List<object?> ParseItems(char close, int depth)
    {
        _pos++; // opening bracket
        var items = new List<object?>();
        while (true)
        {
            SkipSpace();
            if (_pos < _text.Length && _text[_pos] == close)
            {
                _pos++;
                return items;
            }
            items.Add(ParseValue(depth + 1));
            SkipSpace();
            if (_pos < _text.Length && _text[_pos] == ',')
            {
                _pos++;
                continue;
            }
            Expect(close);
            return items;
        }
    }

    private string ParseString()
    {
        char quote = _text[_pos];
        int start = _pos++;
        var sb = new StringBuilder();
        while (_pos < _text.Length)
        {
            char c = _text[_pos++];
            if (c == quote)
                return sb.ToString();
            if (c is '\n' or '\r')
                break;
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }
            if (_pos >= _text.Length)
                break;
            char e = _text[_pos++];
            sb.Append(e switch
            {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '0' => '\0',
                '\\' or '\'' or '"' => e,
                _ => throw new PyLiteralException(Messages.Format(Messages.LiteralEscape, Printable(e)), _pos - 2),
            });
        }
        throw new PyLiteralException(Messages.LiteralUnterminatedString, start);
    }

    private object ParseNumber()
    {
        int start = _pos;
        if (_text[_pos] is '-' or '+')
            _pos++;
        SkipSpace();
        int digitsStart = _pos;
        bool isFloat = false;
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (char.IsAsciiDigit(c) || c == '_')
                _pos++;
            else if (c is '.' or 'e' or 'E')
            {
                isFloat = true;
                _pos++;
                if (c is 'e' or 'E' && _pos < _text.Length && _text[_pos] is '+' or '-')
                    _pos++;
            }
            else
                break;
        }
        ReadOnlySpan<char> digits = _text[digitsStart.._pos];
        bool negative = _text[start] == '-';
        if (digits.Length == 0)
            throw new PyLiteralException(Messages.LiteralSignOnly, start);
        if (digits[0] == '_' || digits[^1] == '_' || digits.IndexOf("__") >= 0)
            throw new PyLiteralException(Messages.LiteralUnderscore, start);
        string clean = digits.ToString().Replace("_", string.Empty, StringComparison.Ordinal);
        if (isFloat)
        {
            if (!double.TryParse(clean, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
                throw new PyLiteralException(Messages.LiteralMalformedNumber, start);
            return negative ? -d : d;
        }
        // Python 3 rejects leading zeros in decimal integers ("007").
        if (clean.Length > 1 && clean[0] == '0' && clean.AsSpan().IndexOfAnyExcept('0') >= 0)
            throw new PyLiteralException(Messages.LiteralLeadingZeros, start);
        if (clean.Length > 4000)
            throw new PyLiteralException(Messages.LiteralIntegerTooLong, start);
        if (_allowLongSuffix && _pos < _text.Length && _text[_pos] == 'L'
            && (_pos + 1 == _text.Length || !(char.IsAsciiLetterOrDigit(_text[_pos + 1]) || _text[_pos + 1] == '_')))
            _pos++;
        BigInteger value = BigInteger.Parse(clean, NumberStyles.None, CultureInfo.InvariantCulture);
        return negative ? -value : value;
    }

    private void Expect(char c)
    {
        if (_pos >= _text.Length)
            throw new PyLiteralException(Messages.Format(Messages.LiteralExpectedAtEnd, c), _pos);
        if (_text[_pos] != c)
            throw new PyLiteralException(Messages.Format(Messages.LiteralExpected, c, Printable(_text[_pos])), _pos);
        _pos++;
    }

    private void SkipSpace()
    {
        while (_pos < _text.Length && _text[_pos] is ' ' or '\t' or '\n' or '\r' or '\f' or '\v')
            _pos++;
    }

    private static string Printable(char c) => c < ' ' || c > '~' ? $"\\u{(int)c:x4}" : c.ToString();
}

/// <summary>A parsed Python tuple.</summary>
internal sealed record PyTuple(List<object?> Items);

/// <summary>A parsed Python list.</summary>
internal sealed record PyList(List<object?> Items);

/// <summary>A parsed Python dict, in source order (duplicates kept so the caller can refuse them).</summary>
internal sealed record PyDict(List<KeyValuePair<object?, object?>> Entries);

/// <summary>A syntax error in a header literal, with the offset into the header text.</summary>
internal sealed class PyLiteralException(string message, int offset) : Exception(message)
{
    /// <summary>The offset into the header text where the problem was found.</summary>
    public int Offset { get; } = offset;
}
