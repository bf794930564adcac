using System.Runtime.InteropServices;
using System.Text;
using TorchMmap.Format;

namespace TorchMmap.Text;

public sealed partial class Gpt2Tokenizer
{
    // Text that is read but not yet encoded, cut into documents and into chunks that encode exactly as the whole would.
    private sealed class EncodeState
    {
        // Pending text beyond this is encoded up to its last safe cut.
        private const int EncodeChars = 1 << 20;

        private readonly Gpt2Tokenizer _tokenizer;
        private readonly ITokenSink _sink;
        private readonly StringBuilder _pending = new();
        private bool _afterNewline;   // BlankLine: the last character was a '\n' not yet paired with another

        public EncodeState(Gpt2Tokenizer tokenizer, ITokenSink sink)
        {
            _tokenizer = tokenizer;
            _sink = sink;
        }

        public long Documents { get; private set; }

        public long Tokens { get; private set; }

        // Ends the document in progress (its text encoded in full) and writes <|endoftext|> before the next.
        public void StartDocument()
        {
            Flush();
            ReadOnlySpan<int> eot = [EndOfText];
            _sink.Write(eot);
            Tokens++;
            Documents++;
            _afterNewline = false;
        }

        public void Add(ReadOnlySpan<char> text, DocumentSplit documents)
        {
            switch (documents)
            {
                case DocumentSplit.File:
                    _pending.Append(text);
                    break;
                case DocumentSplit.Line:
                    AddLines(text);
                    break;
                default:
                    AddParagraphs(text);
                    break;
            }
            if (_pending.Length > EncodeChars)
                FlushToSafeCut();
        }

        public void EndFile(DocumentSplit documents)
        {
            if (documents == DocumentSplit.Line)
                EndLine();
            else
                Flush();
            _afterNewline = false;
        }

        // llm.c's tinyshakespeare.py: text.replace('\n\n', '\n\n<|endoftext|>'), left to right without overlap.
        private void AddParagraphs(ReadOnlySpan<char> text)
        {
            int start = 0;
            for (int i = 0; i < text.Length; i++)
            {
                if (text[i] != '\n')
                {
                    _afterNewline = false;
                    continue;
                }
                if (!_afterNewline)
                {
                    _afterNewline = true;
                    continue;
                }
                _pending.Append(text[start..(i + 1)]);
                start = i + 1;
                StartDocument();
            }
            _pending.Append(text[start..]);
        }

        // One document per non-empty line, without its line break.
        private void AddLines(ReadOnlySpan<char> text)
        {
            while (!text.IsEmpty)
            {
                int newline = text.IndexOf('\n');
                if (newline < 0)
                {
                    _pending.Append(text);
                    return;
                }
                _pending.Append(text[..newline]);
                EndLine();
                text = text[(newline + 1)..];
            }
        }

        private void EndLine()
        {
            if (_pending.Length > 0 && _pending[^1] == '\r')
                _pending.Length--;
            if (_pending.Length == 0)
                return;
            string line = _pending.ToString();
            _pending.Clear();
            ReadOnlySpan<int> eot = [EndOfText];
            _sink.Write(eot);
            Tokens++;
            Documents++;
            Write(line);
        }

        private void Flush()
        {
            if (_pending.Length == 0)
                return;
            string text = _pending.ToString();
            _pending.Clear();
            Write(text);
        }

        private void FlushToSafeCut()
        {
            int cut = SafeCut(_pending);
            if (cut <= 0)
                return;
            string head = _pending.ToString(0, cut);
            _pending.Remove(0, cut);
            Write(head);
        }

        private void Write(string text)
        {
            IReadOnlyList<int> ids = _tokenizer.Encode(text);
            ReadOnlySpan<int> span = ids switch
            {
                int[] array => array,
                List<int> list => CollectionsMarshal.AsSpan(list),
                _ => ids.ToArray(),
            };
            _sink.Write(span);
            Tokens += span.Length;
        }
    }

    /// <summary>
    /// The last position where text can be cut so that encoding the two parts gives exactly the tokens of the whole: where
    /// GPT-2's pre-tokenizer ends a piece whatever follows. That holds before a space between two letters or digits (the
    /// space starts the next piece, <c>" word"</c>) and after a single <c>'\n'</c> between two letters or digits (the newline
    /// is a piece of its own). A run of whitespace is never cut, since the pattern's <c>\s+(?!\S)</c> looks past it.
    /// </summary>
    /// <returns>The cut position, or 0 when there is none.</returns>
    internal static int SafeCut(StringBuilder text)
    {
        for (int p = text.Length - 2; p >= 2; p--)
        {
            if (text[p] == ' ' && char.IsLetterOrDigit(text[p - 1]) && char.IsLetterOrDigit(text[p + 1]))
                return p;
            if (text[p - 1] == '\n' && char.IsLetterOrDigit(text[p - 2]) && char.IsLetterOrDigit(text[p]))
                return p;
        }
        return 0;
    }
}
