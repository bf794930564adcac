using System.Diagnostics;

namespace TorchMmap.Tests;

/// <summary>
/// Runs a script under Debian's real NumPy (<c>/usr/bin/python3</c>, without importing torch, so a run costs
/// about 0.3 s). Missing Python or NumPy is an error, never a skip: interop tests must not pass silently.
/// </summary>
internal static class NumPyScript
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);

    /// <summary>Runs <paramref name="script"/> with <c>python3 -c</c>, passing <paramref name="args"/> as <c>sys.argv[1:]</c>; returns stdout.</summary>
    public static string Run(string script, params string[] args)
    {
        if (!File.Exists(TorchReference.PythonPath))
            throw new InvalidOperationException($"{TorchReference.PythonPath} was not found; the NumPy interop tests need it (apt-get install python3-numpy).");
        var startInfo = new ProcessStartInfo(TorchReference.PythonPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add(script);
        foreach (string arg in args)
            startInfo.ArgumentList.Add(arg);
        startInfo.Environment["OMP_NUM_THREADS"] = "1";
        startInfo.Environment["PYTHONDONTWRITEBYTECODE"] = "1";

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {TorchReference.PythonPath}.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(s_timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The NumPy script did not finish within {s_timeout}.");
        }
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"The NumPy script exited with code {process.ExitCode}:{Environment.NewLine}{stderr.Result}");
        return stdout.Result;
    }
}
