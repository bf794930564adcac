namespace TorchMmap.DocSnippets;

/// <summary>Every C# block of README.md and docs/*.md compiles against the library and runs on real files.</summary>
public sealed class DocSnippetsTests
{
    /// <summary>The snippets, one test case each, named by file and line.</summary>
    public static TheoryData<string, int> Snippets()
    {
        var data = new TheoryData<string, int>();
        foreach (string file in MarkdownSnippets.Files())
        {
            foreach (MarkdownSnippet snippet in MarkdownSnippets.Read(file))
                data.Add(snippet.File, snippet.Line);
        }
        return data;
    }

    [Fact]
    public void Files_ReadmeAndDocs_HoldSnippets()
    {
        // Guards the discovery itself: the README's quick start and the loader guide's training loop are found.
        var all = MarkdownSnippets.Files().SelectMany(MarkdownSnippets.Read).ToArray();
        Assert.Contains(all, s => s.File == "README.md" && s.Code.Contains("NpyDataLoader", StringComparison.Ordinal));
        Assert.Contains(all, s => s.File == Path.Combine("docs", "loader.md") && s.Code.Contains("load_state_dict", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Snippets))]
    public void Snippet_CompiledAndRun_Succeeds(string file, int line)
    {
        MarkdownSnippet snippet = MarkdownSnippets.Read(Path.Combine(MarkdownSnippets.RepositoryRoot, file)).Single(s => s.Line == line);
        byte[] assembly = SnippetCompiler.Compile(snippet);
        if (!SnippetCompiler.IsRunnable(snippet.Code))
            return;
        string dir = SnippetFixture.Create();
        try
        {
            SnippetCompiler.Run(assembly, dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Compile_UndefinedName_Throws()
    {
        // The check can fail: a snippet using a name nothing declares is reported with the compiler's error.
        var broken = new MarkdownSnippet("test.md", 1, "using TorchSharp;\nvar loss = functional.cross_entropy(model, 1);\n");
        var e = Assert.Throws<InvalidOperationException>(() => SnippetCompiler.Compile(broken));
        Assert.Contains("CS0103", e.Message, StringComparison.Ordinal);
    }
}
