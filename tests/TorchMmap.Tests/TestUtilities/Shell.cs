using System.Diagnostics;

namespace TorchMmap.Tests;

/// <summary>Runs system commands the hostile-file-system tests need (mount, mknod, runuser), failing loudly.</summary>
internal static class Shell
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>; returns the exit code and output.</summary>
    public static (int ExitCode, string Output) Run(string file, params string[] args)
    {
        var startInfo = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
            startInfo.ArgumentList.Add(arg);
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {file}.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within a minute.");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>Runs a command that must succeed.</summary>
    public static string Check(string file, params string[] args)
    {
        (int code, string output) = Run(file, args);
        if (code != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {code}: {output}");
        return output;
    }

    /// <summary>Asserts the tests run as root, as CI does: they mount file systems and make device nodes.</summary>
    public static void RequireRoot() =>
        Assert.True(Environment.UserName == "root" || Check("id", "-u").Trim() == "0", "These tests need root (CI runs them as root): they mount a tmpfs and make device nodes.");
}

/// <summary>A small tmpfs mounted on a new temporary folder, unmounted and removed on dispose: a disk that fills up.</summary>
internal sealed class TmpfsMount : IDisposable
{
    public TmpfsMount(string size)
    {
        Shell.RequireRoot();
        Path = Directory.CreateTempSubdirectory("torchmmap-tmpfs-").FullName;
        Shell.Check("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", Path);
    }

    public string Path { get; }

    /// <summary>Bytes free on the mount.</summary>
    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    public void Dispose()
    {
        Shell.Run("umount", Path);
        Directory.Delete(Path, recursive: true);
    }
}
