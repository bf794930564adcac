namespace TinyGpt;

/// <summary>
/// What a document is in the example's text: a new document starts after each blank line, so the King James Bible (as
/// <see cref="BibleText"/> lays it out) is one document per chapter, each beginning with its heading (<c>"Genesis 2"</c>).
/// </summary>
public static class TextDocuments
{
    /// <summary>Cuts <paramref name="text"/> into documents that cover it: every character is in exactly one, in order.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The documents' ranges; a document keeps the blank lines that end it, and each but the last holds something
    /// other than line breaks.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public static Range[] Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var documents = new List<Range>();
        int start = 0;
        bool content = false;
        // A document starts at the first character that is not a line break after "\n\n", once the current one has text.
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
                continue;
            if (content && i >= 2 && text[i - 1] == '\n' && text[i - 2] == '\n')
            {
                documents.Add(start..i);
                start = i;
            }
            content = true;
        }
        if (start < text.Length)
            documents.Add(start..text.Length);
        return documents.ToArray();
    }
}
