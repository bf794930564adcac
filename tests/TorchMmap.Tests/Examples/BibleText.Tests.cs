using TinyGpt;

namespace TorchMmap.Tests.Examples;

public sealed class BibleTextTests
{
    [Fact]
    public void Normalise_PrintedLayout_OneVersePerLineHeadingsAfterBlankLines()
    {
        // The layout of `bible -p /usr/lib gen1:1-rev22:21`: heading between blank lines, verses indented, wrapped at 80 columns.
        string printed = "\nGenesis 1\n\n  1 In the beginning God created the heaven and the earth.\n  2 And the earth was without form, and void; and darkness was upon the face of\nthe deep.\n\nGenesis 2\n\n  1 Thus the heavens\nand the earth were finished.\n";

        string text = BibleText.Normalise(printed);

        Assert.Equal(
            "Genesis 1\n1 In the beginning God created the heaven and the earth.\n2 And the earth was without form, and void; and darkness was upon the face of the deep.\n\nGenesis 2\n1 Thus the heavens and the earth were finished.\n",
            text);
    }

    [Fact]
    public void CharTokenizer_RoundTripsAndRefusesUnknownCharacters()
    {
        CharTokenizer tokenizer = CharTokenizer.FromText("abca b");

        Assert.Equal(" abc", tokenizer.Alphabet);
        Assert.Equal([1, 2, 3, 0, 1], tokenizer.Encode("abc a"));
        Assert.Equal("cab", tokenizer.Decode([3L, 1, 2]));
        Assert.Throws<ArgumentException>(() => tokenizer.Encode("abd"));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([4L]));
    }
}
