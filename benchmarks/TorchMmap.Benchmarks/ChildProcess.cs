using System.Diagnostics;
using System.Text.Json;

namespace TorchMmap.Benchmarks;

/// <summary>Starts this benchmark again as a child process, so each contender's memory peaks are its own.</summary>
internal static class ChildProcess
{
    /// <summary>Runs the child with <paramref name="args"/>, optionally through a shell prefix (the cgroup wrapper), and parses its RESULT line.</summary>
    public static RunResult? Run(IReadOnlyList<string> args, string? shellPrefix = null, TimeSpan? timeout = null) =>
        RunAll(args, shellPrefix, timeout).FirstOrDefault();

    /// <summary>Runs the child and parses all its RESULT lines.</summary>
    public static List<RunResult> RunAll(IReadOnlyList<string> args, string? shellPrefix = null, TimeSpan? timeout = null)
    {
        string self = Environment.ProcessPath!;
        var command = new List<string>();
        // Under `dotnet X.dll` the process is the host; the child needs the dll too.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            command.Add(self);
            command.Add(typeof(ChildProcess).Assembly.Location);
        }
        else
        {
            command.Add(self);
        }
        command.AddRange(args);
        return RunCommand(command, shellPrefix, timeout);
    }

    /// <summary>Runs any program (a Python reference, say) the same way and parses all its RESULT lines.</summary>
    public static List<RunResult> RunCommand(IReadOnlyList<string> command, string? shellPrefix = null, TimeSpan? timeout = null)
    {
        IReadOnlyList<string> args = command.Skip(1).ToArray();
        ProcessStartInfo psi;
        if (shellPrefix is null)
        {
            psi = new ProcessStartInfo(command[0]);
            foreach (string a in command.Skip(1))
                psi.ArgumentList.Add(a);
        }
        else
        {
            psi = new ProcessStartInfo("/bin/sh");
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(shellPrefix + " exec " + string.Join(' ', command.Select(Quote)));
        }
        psi.RedirectStandardOutput = true;
        psi.UseShellExecute = false;
        using Process p = Process.Start(psi)!;
        var results = new List<RunResult>();
        var reader = Task.Run(() =>
        {
            string? line;
            while ((line = p.StandardOutput.ReadLine()) is not null)
            {
                if (line.StartsWith("RESULT ", StringComparison.Ordinal))
                    results.Add(JsonSerializer.Deserialize<RunResult>(line["RESULT ".Length..])!);
                else
                    Console.Error.WriteLine("  | " + line);
            }
        });
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(20)))
        {
            p.Kill(entireProcessTree: true);
            Console.Error.WriteLine($"  child timed out: {string.Join(' ', args)}");
        }
        reader.Wait(TimeSpan.FromSeconds(10));
        if (p.ExitCode != 0)
            Console.Error.WriteLine($"  child exited with {p.ExitCode}: {string.Join(' ', args)}");
        return results;
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
