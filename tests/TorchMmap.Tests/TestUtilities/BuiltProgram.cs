using System.Reflection;

namespace TorchMmap.Tests.TestUtilities;

/// <summary>
/// The entry assemblies of the consoles the tests start as child processes (the Reliability console, the launch
/// probe). The test project builds them (build-only project references) into their own folders, in the configuration
/// the tests were built in; they run on the installed runtime through <c>dotnet</c>, whatever framework the tests target.
/// </summary>
internal static class BuiltProgram
{
    /// <summary>benchmarks/TorchMmap.Reliability: the child-process workloads of the fault tests.</summary>
    public static string Reliability => Find(Path.Combine("benchmarks", "TorchMmap.Reliability"), "TorchMmap.Reliability.dll");

    /// <summary>tests/TorchMmap.LaunchProbe: one rank of the mpirun test.</summary>
    public static string LaunchProbe => Find(Path.Combine("tests", "TorchMmap.LaunchProbe"), "TorchMmap.LaunchProbe.dll");

    // The project's bin/<configuration>/<framework>/ holds the one build of it.
    private static string Find(string project, string assembly)
    {
        string configuration = typeof(BuiltProgram).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        string bin = Path.Combine(RepositoryRoot(), project, "bin", configuration);
        string? path = Directory.Exists(bin)
            ? Directory.EnumerateDirectories(bin).Select(d => Path.Combine(d, assembly)).Where(File.Exists).OrderBy(p => p, StringComparer.Ordinal).LastOrDefault()
            : null;
        return path ?? throw new FileNotFoundException($"'{assembly}' is not built under '{bin}'; build the test project first.", assembly);
    }

    // The folder holding TorchMmap.sln, above the test's output folder.
    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TorchMmap.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException($"No TorchMmap.sln above '{AppContext.BaseDirectory}'.");
    }
}
