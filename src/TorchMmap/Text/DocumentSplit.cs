namespace TorchMmap.Text;

/// <summary>What a document is when text files are tokenized: each document is preceded by GPT-2's <c>&lt;|endoftext|&gt;</c>.</summary>
public enum DocumentSplit
{
    /// <summary>Each input file is one document.</summary>
    File,

    /// <summary>Documents end after each blank line (<c>"\n\n"</c>), as llm.c's <c>tinyshakespeare.py</c> splits the play into statements.</summary>
    BlankLine,

    /// <summary>Each non-empty line is a document (one document per line, as text exports of FineWeb-style datasets hold them).</summary>
    Line,
}
