// Compiled by MSBuild's RoslynCodeTaskFactory from TorchMmap.targets; not part of any project.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Marks one version need (an Elf64_Vernaux entry of .gnu.version_r) weak in 64-bit little-endian ELF
/// shared libraries, so that the dynamic loader accepts a libstdc++ that lacks the version.
/// </summary>
public sealed class TorchMmapMarkVersionNeedWeak : Task
{
    private const uint ShtRela = 4;
    private const uint ShtRel = 9;
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>The libraries to patch.</summary>
    [Required]
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>The version name, e.g. GLIBCXX_3.4.32.</summary>
    [Required]
    public string Version { get; set; } = string.Empty;

    /// <inheritdoc />
    public override bool Execute()
    {
        var patched = new System.Collections.Generic.List<string>();
        foreach (ITaskItem item in Files)
        {
            string path = item.GetMetadata("FullPath");
            try
            {
                string outcome = Patch(path, Version);
                if (outcome.Length == 0)
                    patched.Add(path);
                else
                    Log.LogMessage(MessageImportance.Low, "TorchMmap: {0}: {1}", path, outcome);
            }
            catch (InvalidDataException ex)
            {
                // Leaving the file as it is keeps the original loader error; it is not a build failure.
                Log.LogWarning("TorchMmap: {0} was not patched: {1}", path, ex.Message);
            }
        }
        // One message per build that changed something, so a consumer sees that its output was rewritten.
        if (patched.Count > 0)
            Log.LogMessage(MessageImportance.High,
                "TorchMmap: marked {0} weak in {1} (this system's libstdc++ lacks it; set TorchMmapPatchLibStdCxx=false to turn this off)",
                Version, string.Join(", ", patched));
        return !Log.HasLoggedErrors;
    }

    // Returns "" when the file was patched, else why it was left alone.
    private static string Patch(string path, string version)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a 64-bit little-endian ELF file");

        ulong shoff = U64(elf, 0x28);
        int shentsize = U16(elf, 0x3A);
        int shnum = U16(elf, 0x3C);
        if (shoff == 0 || shentsize < 64 || shoff + (ulong)shentsize * (ulong)shnum > (ulong)elf.Length)
            throw new InvalidDataException("section header table out of range");

        int verneed = -1, versym = -1;
        for (int i = 0; i < shnum; i++)
        {
            uint type = U32(elf, Section(shoff, shentsize, i) + 4);
            if (type == ShtGnuVerneed) verneed = i;
            else if (type == ShtGnuVersym) versym = i;
        }
        if (verneed < 0)
            return "no version needs";

        int vnHeader = Section(shoff, shentsize, verneed);
        int strtab = Section(shoff, shentsize, (int)U32(elf, vnHeader + 40));
        long strOffset = (long)U64(elf, strtab + 24);
        long offset = (long)U64(elf, vnHeader + 24);
        uint count = U32(elf, vnHeader + 44);

        for (uint n = 0; n < count; n++)
        {
            int cnt = U16(elf, Checked(elf, offset + 2, 2));
            long aux = offset + U32(elf, Checked(elf, offset + 8, 4));
            for (int j = 0; j < cnt; j++)
            {
                int flagsAt = Checked(elf, aux + 4, 2);
                ushort other = U16(elf, Checked(elf, aux + 6, 2));
                string name = CString(elf, strOffset + U32(elf, Checked(elf, aux + 8, 4)));
                if (name == version)
                {
                    ushort flags = U16(elf, flagsAt);
                    if ((flags & VerFlgWeak) != 0)
                        return version + " is already weak";
                    if (versym >= 0 && IsVersionRelocated(elf, shoff, shentsize, shnum, versym, other))
                        throw new InvalidDataException("a relocation refers to a symbol of " + version + ", so the need is real");
                    ushort weak = (ushort)(flags | VerFlgWeak);
                    elf[flagsAt] = (byte)weak;
                    elf[flagsAt + 1] = (byte)(weak >> 8);
                    // A new file renamed over the old one: a hard link into the NuGet cache is broken, not written through.
                    string temp = path + ".torchmmap.tmp";
                    File.WriteAllBytes(temp, elf);
                    File.Delete(path);
                    File.Move(temp, path);
                    return "";
                }
                aux += U32(elf, Checked(elf, aux + 12, 4));
            }
            offset += U32(elf, Checked(elf, offset + 12, 4));
        }
        return "does not need " + version;
    }

    // True when any REL/RELA relocation against .dynsym names a symbol whose version index is the one given.
    private static bool IsVersionRelocated(byte[] elf, ulong shoff, int shentsize, int shnum, int versym, ushort index)
    {
        int vsHeader = Section(shoff, shentsize, versym);
        long vsOffset = (long)U64(elf, vsHeader + 24);
        long vsSize = (long)U64(elf, vsHeader + 32);
        for (int i = 0; i < shnum; i++)
        {
            int header = Section(shoff, shentsize, i);
            uint type = U32(elf, header + 4);
            if (type != ShtRela && type != ShtRel)
                continue;
            int linked = (int)U32(elf, header + 40);
            if (linked >= shnum || U32(elf, Section(shoff, shentsize, linked) + 4) != ShtDynsym)
                continue;
            long start = (long)U64(elf, header + 24);
            long size = (long)U64(elf, header + 32);
            long entsize = (long)U64(elf, header + 56);
            if (entsize == 0)
                entsize = type == ShtRela ? 24 : 16;
            for (long r = start; r + entsize <= start + size; r += entsize)
            {
                ulong info = U64(elf, Checked(elf, r + 8, 8));
                long symbol = (long)(info >> 32);
                if (symbol == 0 || symbol * 2 + 2 > vsSize)
                    continue;
                ushort v = U16(elf, Checked(elf, vsOffset + symbol * 2, 2));
                if ((v & 0x7fff) == index)
                    return true;
            }
        }
        return false;
    }

    private static int Section(ulong shoff, int shentsize, int index) => checked((int)(shoff + (ulong)(shentsize * index)));

    private static int Checked(byte[] elf, long offset, int size)
    {
        if (offset < 0 || offset + size > elf.Length)
            throw new InvalidDataException("offset " + offset + " out of range");
        return (int)offset;
    }

    // Little-endian reads spelled out: the task compiles against netstandard2.0, which lacks BinaryPrimitives.
    private static ushort U16(byte[] b, int at) => (ushort)(b[at] | b[at + 1] << 8);
    private static uint U32(byte[] b, int at) => (uint)(b[at] | b[at + 1] << 8 | b[at + 2] << 16 | b[at + 3] << 24);
    private static ulong U64(byte[] b, int at) => U32(b, at) | (ulong)U32(b, at + 4) << 32;

    private static string CString(byte[] b, long at)
    {
        int start = Checked(b, at, 1);
        int end = Array.IndexOf(b, (byte)0, start);
        if (end < 0)
            throw new InvalidDataException("unterminated string at " + at);
        return Encoding.ASCII.GetString(b, start, end - start);
    }
}
