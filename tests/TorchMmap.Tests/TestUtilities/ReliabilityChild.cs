using System.Diagnostics;
using System.Text;
using TorchMmap.Reliability;

namespace TorchMmap.Tests.TestUtilities;

/// <summary>
/// A child process running one of the Reliability console's hidden commands, for tests whose failure would kill the
/// process (SIGBUS): a regression then kills the child, and the test host reports it.
/// </summary>
internal sealed class ReliabilityChild : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly object _gate = new();

    public ReliabilityChild(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(WriteForever).Assembly.Location);
        foreach (string a in args)
            start.ArgumentList.Add(a);
        _process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        _process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_gate)
                return _stdout.ToString();
        }
    }

    public string Errors
    {
        get
        {
            lock (_gate)
                return _stderr.ToString();
        }
    }

    /// <summary>Waits until a line starting with <paramref name="prefix"/> appears and returns it.</summary>
    public string WaitForLine(string prefix, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            string? line = Output.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
            if (line is not null)
                return line.TrimEnd('\r');
            if (_process.HasExited)
                break;
            Thread.Sleep(10);
        }
        throw new TimeoutException($"The child never printed '{prefix}' (exited: {_process.HasExited}). Output: {Output} Errors: {Errors}");
    }

    public void WriteLine(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>Waits for the child to end and returns its exit code (128 + the signal's number when a signal killed it).</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
            throw new TimeoutException($"The child did not end within {timeout}. Output: {Output}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Kills the child (and anything it started) and waits for it to end.</summary>
    public void Kill(TimeSpan timeout)
    {
        _process.Kill(entireProcessTree: true);
        if (!_process.WaitForExit(timeout))
            throw new TimeoutException($"The child did not end within {timeout} of being killed.");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    private void Append(StringBuilder to, string? line)
    {
        if (line is null)
            return;
        lock (_gate)
            to.AppendLine(line);
    }
}
