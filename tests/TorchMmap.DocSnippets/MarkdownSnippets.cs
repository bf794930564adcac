using System.Text;

namespace TorchMmap.DocSnippets;

/// <summary>One fenced <c>csharp</c> block of a Markdown file.</summary>
/// <param name="File">The Markdown file, relative to the repository root.</param>
/// <param name="Line">The line of the opening fence (1-based).</param>
/// <param name="Code">The block's text.</param>
public sealed record MarkdownSnippet(string File, int Line, string Code)
{
    /// <inheritdoc />
    public override string ToString() => $"{File}:{Line}";
}

/// <summary>Finds the C# blocks of the README and the docs/ pages.</summary>
public static class MarkdownSnippets
{
    /// <summary>The repository root: the nearest folder above the test binaries that holds TorchMmap.sln.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The Markdown files whose C# blocks are checked: README.md and every page of docs/.</summary>
    public static IEnumerable<string> Files() =>
        new[] { Path.Combine(RepositoryRoot, "README.md") }
            .Concat(Directory.GetFiles(Path.Combine(RepositoryRoot, "docs"), "*.md").Order(StringComparer.Ordinal));

    /// <summary>Every block fenced as <c>```csharp</c> in <paramref name="path"/>.</summary>
    public static IEnumerable<MarkdownSnippet> Read(string path)
    {
        string[] lines = File.ReadAllLines(path);
        string relative = Path.GetRelativePath(RepositoryRoot, path);
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```csharp")
                continue;
            var code = new StringBuilder();
            int start = i + 1;
            for (i++; i < lines.Length && lines[i].Trim() != "```"; i++)
                code.AppendLine(lines[i]);
            yield return new MarkdownSnippet(relative, start, code.ToString());
        }
    }

    private static string FindRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "TorchMmap.sln")))
                return dir;
        }
        throw new InvalidOperationException($"No TorchMmap.sln above {AppContext.BaseDirectory}.");
    }
}
