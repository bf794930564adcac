using TinyGpt;
using TorchMmap.Storage;

namespace TorchMmap.Tests.Examples;

public sealed class TokenCorpusTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-corpus-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Prepare_Char_SplitsAtALineStartAndFilesDecodeToTheText()
    {
        string text = string.Concat(Enumerable.Range(0, 100).Select(i => $"line {i} of the text\n"));

        TokenCorpus corpus = TokenCorpus.Prepare(text, _dir, TokenizerKind.Char, validationFraction: 0.1);

        using TokenStream train = TokenStream.OpenNanoGpt(corpus.TrainPath);
        using TokenStream validation = TokenStream.OpenNanoGpt(corpus.ValidationPath);
        string trainText = corpus.Tokenizer.Decode(train.Read(0, (int)train.Count));
        string validationText = corpus.Tokenizer.Decode(validation.Read(0, (int)validation.Count));
        Assert.Equal(text, trainText + validationText);
        Assert.StartsWith("line ", validationText, StringComparison.Ordinal);
        Assert.InRange(validationText.Length, 0.08 * text.Length, 0.12 * text.Length);
        Assert.Equal(trainText.Length, corpus.TrainTokens);
        Assert.Equal(validationText.Length, corpus.ValidationCharacters);
        Assert.True(corpus.Written);
    }

    [Fact]
    public void Prepare_SameTextTwice_ReusesTheFiles_OtherTextRewritesThem()
    {
        string text = string.Concat(Enumerable.Range(0, 50).Select(i => $"verse {i}\n"));
        TokenCorpus first = TokenCorpus.Prepare(text, _dir, TokenizerKind.Char);
        DateTime written = File.GetLastWriteTimeUtc(first.TrainPath);

        TokenCorpus again = TokenCorpus.Prepare(text, _dir, TokenizerKind.Char);
        DateTime reused = File.GetLastWriteTimeUtc(again.TrainPath);
        TokenCorpus other = TokenCorpus.Prepare(text.Replace('v', 'w'), _dir, TokenizerKind.Char);

        Assert.False(again.Written);
        Assert.Equal(written, reused);
        Assert.Equal(((CharTokenizer)first.Tokenizer).Alphabet, ((CharTokenizer)again.Tokenizer).Alphabet);
        Assert.True(other.Written);
        Assert.Contains('w', ((CharTokenizer)other.Tokenizer).Alphabet);
    }

    [Fact]
    public void Prepare_Gpt2_TokensDecodeToTheText()
    {
        string text = string.Concat(Enumerable.Range(0, 40).Select(i => $"And it came to pass on day {i}.\n"));

        TokenCorpus corpus = TokenCorpus.Prepare(text, _dir, TokenizerKind.Gpt2);

        using TokenStream train = TokenStream.OpenNanoGpt(corpus.TrainPath);
        using TokenStream validation = TokenStream.OpenNanoGpt(corpus.ValidationPath);
        Assert.Equal(text, corpus.Tokenizer.Decode(train.Read(0, (int)train.Count)) + corpus.Tokenizer.Decode(validation.Read(0, (int)validation.Count)));
        Assert.Equal(50257, corpus.Tokenizer.VocabularySize);
        // Byte-pair tokens span several characters.
        Assert.True(corpus.TrainTokens < corpus.TrainCharacters / 2, $"{corpus.TrainTokens} tokens for {corpus.TrainCharacters} characters");
    }

    [Fact]
    public void Prepare_BlankLineSeparatedText_WritesOneDocumentPerPartAsAMegatronIndexedDataset()
    {
        string text = string.Concat(Enumerable.Range(1, 30).Select(i => $"Book {i}\n1 verse one of {i}\n2 verse two\n\n"));

        TokenCorpus corpus = TokenCorpus.Prepare(text, _dir, TokenizerKind.Char, validationFraction: 0.1);

        using IndexedDataset train = IndexedDataset.Open(corpus.TrainDocumentsPrefix, TorchMmap.Format.IndexedDatasetConvention.Megatron);
        using IndexedDataset validation = IndexedDataset.Open(corpus.ValidationDocumentsPrefix, TorchMmap.Format.IndexedDatasetConvention.Megatron);
        Assert.Equal(corpus.TrainPath, train.DataPath);
        Assert.Equal((27L, 3L), (train.DocumentCount, validation.DocumentCount));
        Assert.Equal((27L, 3L), (corpus.TrainDocuments, corpus.ValidationDocuments));
        string[] documents = Enumerable.Range(0, 27).Select(d => corpus.Tokenizer.Decode(train.Sequences.Read(d))).ToArray();
        Assert.Equal("Book 1\n1 verse one of 1\n2 verse two\n\n", documents[0]);
        Assert.All(documents, d => Assert.StartsWith("Book ", d, StringComparison.Ordinal));
        // The documents cover the text, and the .bin read as a nanoGPT token stream is the same tokens.
        using TokenStream stream = TokenStream.OpenNanoGpt(corpus.TrainPath);
        Assert.Equal(string.Concat(documents), corpus.Tokenizer.Decode(stream.Read(0, (int)stream.Count)));
        Assert.Equal(text[..string.Concat(documents).Length], string.Concat(documents));
    }

    [Theory]
    [InlineData("", new string[0])]
    [InlineData("a\nb\n", new[] { "a\nb\n" })]
    [InlineData("a\n\nb\n", new[] { "a\n\n", "b\n" })]
    [InlineData("\n\na\n\n\n\nb", new[] { "\n\na\n\n\n\n", "b" })]
    public void Split_Text_StartsADocumentAfterEachBlankLine(string text, string[] expected) =>
        Assert.Equal(expected, TextDocuments.Split(text).Select(r => text[r]));

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Prepare_ValidationFractionOutOfRange_Throws(double fraction) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenCorpus.Prepare("some text\nmore text\n", _dir, TokenizerKind.Char, fraction));
}
