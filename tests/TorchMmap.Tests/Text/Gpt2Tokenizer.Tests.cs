using System.Text;
using TorchMmap.Format;
using TorchMmap.Text;

namespace TorchMmap.Tests.Text;

public sealed class Gpt2TokenizerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-gpt2-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class ListSink : ITokenSink
    {
        public List<int> Tokens { get; } = [];

        public void Write(ReadOnlySpan<int> tokens) => Tokens.AddRange(tokens.ToArray());
    }

    // Prose-like text with every kind of boundary the pre-tokenizer cares about: runs of spaces and newlines, CRLF,
    // contractions, digits, punctuation and non-ASCII letters.
    private static string Text(int chars, int seed)
    {
        string[] words = ["the", "LORD", "said", "don't", "it's", "1611", "v2", "naïve", "Ελλάς", "日本", "end.", "(and)", "--", "x"];
        string[] gaps = [" ", " ", " ", "  ", "\n", "\n\n", "\r\n", " \n", "\n\n\n", "\t", ", "];
        var random = new Random(seed);
        var sb = new StringBuilder(chars + 32);
        while (sb.Length < chars)
            sb.Append(words[random.Next(words.Length)]).Append(gaps[random.Next(gaps.Length)]);
        return sb.ToString();
    }

    private string WriteText(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    [Fact]
    public void Encode_KnownGpt2Ids()
    {
        // GPT-2's vocabulary: "Hello" 15496, " world" 995, "\n\n" 628, "\n" 198.
        Assert.Equal([15496, 995], Gpt2Tokenizer.Shared.Encode("Hello world"));
        Assert.Equal([21943, 628, 2318, 198], Gpt2Tokenizer.Shared.Encode("foo\n\n bar\n"));
    }

    [Fact]
    public void Encode_EndOfTextInTheText_IsOrdinaryTextAsEncodeOrdinary()
    {
        // "<|" 27 91, "endoftext" 437 1659 5239, "|>" 91 29: never the special token 50256.
        Assert.Equal([64, 27, 91, 437, 1659, 5239, 91, 29, 65], Gpt2Tokenizer.Shared.Encode("a<|endoftext|>b"));
        Assert.Equal("Hello world<|endoftext|>", Gpt2Tokenizer.Shared.Decode([15496, 995, 50256]));
    }

    [Fact]
    public void SafeCut_EncodingBothPartsEqualsEncodingTheWhole()
    {
        for (int seed = 0; seed < 40; seed++)
        {
            string text = Text(300, seed);
            var sb = new StringBuilder(text[..(100 + seed * 4)]);
            int cut = Gpt2Tokenizer.SafeCut(sb);
            Assert.True(cut > 0, text);
            string whole = sb.ToString();
            IEnumerable<int> parts = Gpt2Tokenizer.Shared.Encode(whole[..cut]).Concat(Gpt2Tokenizer.Shared.Encode(whole[cut..]));
            Assert.Equal(Gpt2Tokenizer.Shared.Encode(whole), parts);
        }
    }

    [Fact]
    public void EncodeFiles_FileLargerThanOneChunk_EqualsEncodingItWholeAfterEndOfText()
    {
        string text = Text(2_600_000, 1);
        string path = WriteText("big.txt", text);
        var sink = new ListSink();
        var progress = new List<long>();
        (long documents, long tokens) = Gpt2Tokenizer.Shared.EncodeFiles([path], sink, DocumentSplit.File, new SyncProgress(progress));
        List<int> expected = [Gpt2Tokenizer.EndOfText, .. Gpt2Tokenizer.Shared.Encode(text)];
        Assert.Equal(expected, sink.Tokens);
        Assert.Equal(1, documents);
        Assert.Equal(expected.Count, tokens);
        Assert.Equal(new FileInfo(path).Length, progress[^1]);
    }

    [Fact]
    public void EncodeFiles_Paragraphs_PlaceEndOfTextAsTinyShakespeareDoes()
    {
        // llm.c's tinyshakespeare.py: "<|endoftext|>" + text, then every "\n\n" (left to right, no overlap) gets one after it.
        string text = "First Citizen:\nBefore we proceed.\n\nAll:\nSpeak, speak.\n\n\nFirst Citizen:\nYou are all resolved\n\n";
        string path = WriteText("play.txt", text);
        var sink = new ListSink();
        (long documents, _) = Gpt2Tokenizer.Shared.EncodeFiles([path], sink, DocumentSplit.BlankLine);
        string[] pieces = ("<|endoftext|>" + text.Replace("\n\n", "\n\n<|endoftext|>", StringComparison.Ordinal)).Split("<|endoftext|>");
        var expected = new List<int>();
        foreach (string piece in pieces.Skip(1))
            expected.AddRange([Gpt2Tokenizer.EndOfText, .. Gpt2Tokenizer.Shared.Encode(piece)]);
        Assert.Equal(expected, sink.Tokens);
        // The start, after "proceed.", after "speak." (the third newline stays with the next statement), and after the final blank line.
        Assert.Equal(4, documents);
    }

    [Fact]
    public void EncodeFiles_Lines_OneDocumentPerNonEmptyLine()
    {
        string path = WriteText("docs.txt", "first doc\r\n\nsecond one\nthird");
        var sink = new ListSink();
        (long documents, _) = Gpt2Tokenizer.Shared.EncodeFiles([path], sink, DocumentSplit.Line);
        List<int> expected = [50256, .. Gpt2Tokenizer.Shared.Encode("first doc"), 50256, .. Gpt2Tokenizer.Shared.Encode("second one"), 50256, .. Gpt2Tokenizer.Shared.Encode("third")];
        Assert.Equal(expected, sink.Tokens);
        Assert.Equal(3, documents);
    }

    [Fact]
    public void EncodeFiles_SeveralFiles_EachIsADocument()
    {
        string a = WriteText("a.txt", "one"), b = WriteText("b.txt", "two");
        var sink = new ListSink();
        Gpt2Tokenizer.Shared.EncodeFiles([a, b], sink);
        Assert.Equal([50256, .. Gpt2Tokenizer.Shared.Encode("one"), 50256, .. Gpt2Tokenizer.Shared.Encode("two")], sink.Tokens);
    }

    [Fact]
    public void Decode_TokenOutsideTheVocabulary_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Gpt2Tokenizer.Shared.Decode([50257]));

    private sealed class SyncProgress(List<long> values) : IProgress<long>
    {
        public void Report(long value) => values.Add(value);
    }
}
