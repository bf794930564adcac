using System.Diagnostics;
using System.Text.Json;

namespace TorchMmap.Tests;

/// <summary>
/// Runs snippets under the system's real PyTorch (Debian's <c>python3-torch</c>) to get reference results.
/// Missing Python or PyTorch is an error, not a skip: the reference tests must not pass silently.
/// </summary>
internal static class TorchReference
{
    /// <summary>
    /// The interpreter that has NumPy and PyTorch installed: <c>/usr/bin/python3</c>, or the one
    /// <c>TORCHMMAP_TEST_PYTHON</c> names (a missing path shows that <c>--filter "Requires!=python"</c> leaves out every
    /// test that needs it).
    /// </summary>
    public static readonly string PythonPath = Environment.GetEnvironmentVariable("TORCHMMAP_TEST_PYTHON") is { Length: > 0 } path
        ? path
        : "/usr/bin/python3";

    private static readonly TimeSpan s_defaultTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Runs <paramref name="script"/> with <c>python3 -c</c> after <c>import torch</c> and returns its stdout.</summary>
    public static string Run(string script, TimeSpan? timeout = null)
    {
        if (!File.Exists(PythonPath))
        {
            throw new InvalidOperationException(
                $"{PythonPath} was not found; the PyTorch reference tests need Python 3 with PyTorch (apt-get install python3-torch).");
        }

        var startInfo = new ProcessStartInfo(PythonPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add("import torch\n" + script);
        // Keep the reference single-threaded and quiet on this shared machine.
        startInfo.Environment["OMP_NUM_THREADS"] = "1";
        startInfo.Environment["PYTHONDONTWRITEBYTECODE"] = "1";

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start {PythonPath}.");

        // Read both pipes concurrently so a chatty stderr can't block the child.
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        TimeSpan limit = timeout ?? s_defaultTimeout;
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The PyTorch reference script did not finish within {limit}.");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            string error = stderr.Result;
            string hint = error.Contains("No module named 'torch'", StringComparison.Ordinal)
                ? $" PyTorch is not installed for {PythonPath} (apt-get install python3-torch)."
                : "";
            throw new InvalidOperationException(
                $"The PyTorch reference script exited with code {process.ExitCode}.{hint}{Environment.NewLine}{error}");
        }

        return stdout.Result;
    }

    /// <summary>Runs <paramref name="script"/>, which must print one JSON document, and deserializes it.</summary>
    public static T RunJson<T>(string script, TimeSpan? timeout = null)
    {
        string output = Run(script, timeout);
        return JsonSerializer.Deserialize<T>(output)
            ?? throw new InvalidOperationException($"The PyTorch reference script printed null: {output}");
    }
}
