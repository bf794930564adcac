using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TorchMmap.DocSnippets;

/// <summary>
/// Compiles a documentation snippet as a top-level program against the library and TorchSharp, as a user's project
/// would, and runs it.
/// </summary>
public static partial class SnippetCompiler
{
    // The implicit usings of an SDK console project: a complete snippet compiles with these and its own usings only.
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    // A fragment (a block without using directives) continues the page's text, which has introduced these.
    private const string FragmentUsings = """
        global using TorchMmap;
        global using TorchMmap.Data;
        global using TorchMmap.Format;
        global using TorchMmap.Storage;
        global using TorchSharp;
        global using static TorchSharp.torch;
        """;

    // Names a fragment may use that the page introduced earlier, with the declaration the page implies.
    private static readonly (string Name, string Declaration)[] s_pageNames =
    [
        ("data", """using var data = NpyMmapDataset.Open(("image", "x.npy"), ("label", "y.npy"));"""),
        ("chunks", "Tensor[] chunks = [zeros(4, 28, 28), ones(3, 28, 28)];"),
        ("docs", """using RaggedArray docs = RaggedArray.Open("tokens.npy", "offsets.npy");"""),
    ];

    /// <summary>
    /// False for a snippet that names a placeholder path (a literal "..."): it stands for files another tool writes
    /// (such as Megatron-LM's index caches), so it is compiled but not run.
    /// </summary>
    public static bool IsRunnable(string code) => !code.Contains("/...", StringComparison.Ordinal);

    /// <summary>True when the snippet is a whole program (it starts with using directives).</summary>
    public static bool IsComplete(string code) => UsingDirective().IsMatch(code);

    /// <summary>The source compiled for <paramref name="code"/>: a fragment gets the declarations of the names it uses but does not declare.</summary>
    public static string Source(string code)
    {
        if (IsComplete(code))
            return code;
        var prefix = new System.Text.StringBuilder();
        foreach ((string name, string declaration) in s_pageNames)
        {
            bool uses = new Regex($@"\b{name}\b").IsMatch(code);
            bool declares = new Regex($@"\b(var|[A-Za-z_<>\[\]]+)\s+{name}\s*=").IsMatch(code);
            if (uses && !declares)
                prefix.AppendLine(declaration);
        }
        return prefix + code;
    }

    /// <summary>Compiles the snippet; returns the assembly bytes, or throws with every error.</summary>
    public static byte[] Compile(MarkdownSnippet snippet)
    {
        string usings = IsComplete(snippet.Code) ? ImplicitUsings : ImplicitUsings + "\n" + FragmentUsings;
        CSharpParseOptions parse = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Preview);
        SyntaxTree[] trees =
        [
            CSharpSyntaxTree.ParseText(usings, parse, path: "Usings.cs"),
            CSharpSyntaxTree.ParseText(Source(snippet.Code), parse, path: snippet.ToString()),
        ];
        var compilation = CSharpCompilation.Create(
            "Snippet_" + Guid.NewGuid().ToString("N"),
            trees,
            References(),
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: false));
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        Diagnostic[] errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        if (errors.Length > 0)
            throw new InvalidOperationException($"{snippet} does not compile:\n" + string.Join("\n", errors.Select(e => e.ToString())) + "\n--- source ---\n" + Source(snippet.Code));
        return stream.ToArray();
    }

    /// <summary>Runs a compiled snippet's entry point in <paramref name="directory"/> (it becomes the current directory).</summary>
    public static void Run(byte[] assembly, string directory)
    {
        var context = new AssemblyLoadContext("snippet", isCollectible: true);
        string previous = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = directory;
            Assembly loaded = context.LoadFromStream(new MemoryStream(assembly));
            MethodInfo entry = loaded.EntryPoint ?? throw new InvalidOperationException("The snippet has no entry point.");
            try
            {
                entry.Invoke(null, entry.GetParameters().Length == 0 ? null : [Array.Empty<string>()]);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            }
        }
        finally
        {
            Environment.CurrentDirectory = previous;
            context.Unload();
        }
    }

    // Every assembly of the test's own runtime: the framework, TorchSharp and TorchMmap, as a referencing project sees them.
    private static IEnumerable<MetadataReference> References() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(p => MetadataReference.CreateFromFile(p));

    [GeneratedRegex(@"\A\s*using\s+(static\s+)?[A-Za-z_][\w.]*\s*;")]
    private static partial Regex UsingDirective();
}
