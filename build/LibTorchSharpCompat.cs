// Makes TorchSharp's libLibTorchSharp.so load on Linux hosts whose libstdc++ is older than the
// one it was linked against (Debian 12, Ubuntu 22.04: no GLIBCXX_3.4.32).
//
// The library asks for GLIBCXX_3.4.32 only because of std::ios_base_library_init(), a marker
// symbol that GCC 13 emits and nothing ever calls or relocates against. The dynamic loader treats
// a version requirement flagged VER_FLG_WEAK as optional, so flagging such requirements, in a copy
// placed in the build output, lets the library load without touching the NuGet cache. Only versions
// that no relocation binds a symbol of are flagged: the loader never resolves anything against them,
// so they are optional on every host. That proof is about the library alone, so the patch is decided
// by the target (every Linux runtime's copy), not by the libstdc++ of the machine that builds: a
// package or an application built on a new Ubuntu and run on Debian 12 still loads.
//
// This file is compiled twice: by MSBuild's RoslynCodeTaskFactory (LibTorchSharpCompat.targets),
// and into the tests with ELF_LOGIC_ONLY defined so the ELF logic is tested without MSBuild. It stays
// one file because the inline task factory compiles exactly one source.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace MnistRnn.Build
{
    /// <summary>Reads and edits the GNU symbol-versioning sections of a 64-bit little-endian ELF file.</summary>
    public sealed class ElfSymbolVersions
    {
        private const uint SectionTypeRela = 4;
        private const uint SectionTypeRel = 9;
        private const uint SectionTypeDynSym = 11;
        private const uint SectionTypeVerDef = 0x6ffffffd;
        private const uint SectionTypeVerNeed = 0x6ffffffe;
        private const uint SectionTypeVerSym = 0x6fffffff;
        public const ushort WeakFlag = 0x2;

        private readonly byte[] _image;
        private readonly List<Section> _sections = new List<Section>();

        private struct Section
        {
            public uint Type;
            public long Offset;
            public long Size;
            public int Link;
            public long EntrySize;
        }

        /// <summary>One version an ELF file requires from a library it depends on.</summary>
        public sealed class Requirement
        {
            public string Library = "";
            public string Version = "";
            public ushort Flags;
            public ushort Index;
            internal long FlagsOffset;
            public bool IsWeak => (Flags & WeakFlag) != 0;
        }

        public ElfSymbolVersions(byte[] image, string fileName)
        {
            _image = image;
            if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
                throw new InvalidDataException(fileName + " is not an ELF file.");
            if (image[4] != 2 || image[5] != 1)
                throw new InvalidDataException(fileName + " is not a 64-bit little-endian ELF file.");
            long sectionTable = (long)U64(0x28);
            int entrySize = U16(0x3a);
            int count = U16(0x3c);
            if (entrySize < 64 || sectionTable <= 0 || sectionTable + (long)entrySize * count > image.Length)
                throw new InvalidDataException(fileName + " has a section table outside the file.");
            for (int i = 0; i < count; i++)
            {
                long at = sectionTable + (long)i * entrySize;
                var section = new Section
                {
                    Type = U32(at + 4),
                    Offset = (long)U64(at + 24),
                    Size = (long)U64(at + 32),
                    Link = (int)U32(at + 40),
                    EntrySize = (long)U64(at + 56),
                };
                if (section.Type != 8 /* NOBITS */ && section.Offset + section.Size > image.Length)
                    throw new InvalidDataException(fileName + " has a section outside the file.");
                _sections.Add(section);
            }
        }

        /// <summary>The versions this file requires (its .gnu.version_r section).</summary>
        public IReadOnlyList<Requirement> Requirements()
        {
            var result = new List<Requirement>();
            foreach (var section in _sections.Where(s => s.Type == SectionTypeVerNeed))
            {
                long need = section.Offset;
                while (true)
                {
                    int auxCount = U16(need + 2);
                    string library = String(section.Link, U32(need + 4));
                    long aux = need + U32(need + 8);
                    for (int i = 0; i < auxCount; i++)
                    {
                        result.Add(new Requirement
                        {
                            Library = library,
                            Flags = U16(aux + 4),
                            Index = U16(aux + 6),
                            Version = String(section.Link, U32(aux + 8)),
                            FlagsOffset = aux + 4,
                        });
                        aux += U32(aux + 12);
                    }
                    uint next = U32(need + 12);
                    if (next == 0) break;
                    need += next;
                }
            }
            return result;
        }

        /// <summary>The versions this file defines (its .gnu.version_d section), as a shared library would.</summary>
        public ISet<string> Definitions()
        {
            var result = new HashSet<string>(StringComparer.Ordinal);
            foreach (var section in _sections.Where(s => s.Type == SectionTypeVerDef))
            {
                long def = section.Offset;
                while (true)
                {
                    result.Add(String(section.Link, U32(U32(def + 12) + def)));
                    uint next = U32(def + 16);
                    if (next == 0) break;
                    def += next;
                }
            }
            return result;
        }

        /// <summary>Names of the dynamic symbols that some relocation refers to and whose version index is <paramref name="versionIndex"/>.</summary>
        public IReadOnlyList<string> RelocatedSymbolsOfVersion(ushort versionIndex)
        {
            int dynSymIndex = _sections.FindIndex(s => s.Type == SectionTypeDynSym);
            var verSym = _sections.FirstOrDefault(s => s.Type == SectionTypeVerSym);
            if (dynSymIndex < 0 || verSym.Size == 0) return Array.Empty<string>();
            var dynSym = _sections[dynSymIndex];
            var found = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var relocations in _sections.Where(s => (s.Type == SectionTypeRela || s.Type == SectionTypeRel) && s.Link == dynSymIndex))
            {
                long entry = relocations.EntrySize > 0 ? relocations.EntrySize : (relocations.Type == SectionTypeRela ? 24 : 16);
                for (long at = relocations.Offset; at + entry <= relocations.Offset + relocations.Size; at += entry)
                {
                    long symbol = (long)(U64(at + 8) >> 32);
                    if (symbol == 0 || verSym.Offset + symbol * 2 + 2 > verSym.Offset + verSym.Size) continue;
                    if ((U16(verSym.Offset + symbol * 2) & 0x7fff) == versionIndex)
                        found.Add(String(dynSym.Link, U32(dynSym.Offset + symbol * 24)));
                }
            }
            return found.ToList();
        }

        /// <summary>Flags one requirement weak in the image this object reads.</summary>
        public void MarkWeak(Requirement requirement)
        {
            ushort flags = (ushort)(requirement.Flags | WeakFlag);
            _image[requirement.FlagsOffset] = (byte)flags;
            _image[requirement.FlagsOffset + 1] = (byte)(flags >> 8);
            requirement.Flags = flags;
        }

        private ushort U16(long at) => (ushort)(_image[at] | _image[at + 1] << 8);
        private uint U32(long at) => (uint)(U16(at) | U16(at + 2) << 16);
        private ulong U64(long at) => U32(at) | (ulong)U32(at + 4) << 32;

        private string String(int tableIndex, uint offset)
        {
            var table = _sections[tableIndex];
            long start = table.Offset + offset;
            long end = start;
            while (end < table.Offset + table.Size && _image[end] != 0) end++;
            return Encoding.ASCII.GetString(_image, (int)start, (int)(end - start));
        }
    }

    /// <summary>Decides and applies the libstdc++ compatibility patch; it depends on the library only, not on any host.</summary>
    public static class LibStdCxxCompat
    {
        public const string LibStdCxx = "libstdc++.so.6";

        /// <summary>
        /// Flags weak every libstdc++ version the library requires but binds no relocated symbol of, so that a host
        /// without it still loads the library. Returns those versions (empty when there are none left to flag).
        /// </summary>
        public static IReadOnlyList<string> WeakenUnusedVersions(byte[] library, string libraryName)
        {
            var elf = new ElfSymbolVersions(library, libraryName);
            var unused = elf.Requirements()
                .Where(r => r.Library == LibStdCxx && !r.IsWeak && elf.RelocatedSymbolsOfVersion(r.Index).Count == 0)
                .ToList();
            foreach (var requirement in unused) elf.MarkWeak(requirement);
            return unused.Select(r => r.Version).ToList();
        }
    }

#if !ELF_LOGIC_ONLY
    /// <summary>MSBuild task: writes a patched copy of each library that needs one and returns the item to copy instead.</summary>
    public sealed class WeakenMissingLibStdCxxVersions : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Libraries { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        [Microsoft.Build.Framework.Required]
        public string OutputDirectory { get; set; } = "";

        [Microsoft.Build.Framework.Output]
        public Microsoft.Build.Framework.ITaskItem[] Patched { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        public override bool Execute()
        {
            var patched = new List<Microsoft.Build.Framework.ITaskItem>();
            foreach (var library in Libraries)
            {
                byte[] image = File.ReadAllBytes(library.ItemSpec);
                IReadOnlyList<string> weakened;
                try
                {
                    weakened = LibStdCxxCompat.WeakenUnusedVersions(image, library.ItemSpec);
                }
                catch (InvalidDataException e)
                {
                    Log.LogError(e.Message);
                    return false;
                }
                if (weakened.Count == 0) continue;

                string runtime = library.GetMetadata("RuntimeIdentifier");
                string target = Path.Combine(OutputDirectory, runtime.Length > 0 ? runtime : "any", Path.GetFileName(library.ItemSpec));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                // Rewrite only on change so incremental builds see a stable timestamp.
                if (!File.Exists(target) || !File.ReadAllBytes(target).SequenceEqual(image))
                    File.WriteAllBytes(target, image);
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal,
                    $"Using {target}, where the unused {LibStdCxxCompat.LibStdCxx} versions {string.Join(", ", weakened)} are weak.");

                var item = new Microsoft.Build.Utilities.TaskItem(target);
                library.CopyMetadataTo(item);
                item.SetMetadata("OriginalItemSpec", library.ItemSpec);
                patched.Add(item);
            }
            Patched = patched.ToArray();
            return true;
        }
    }
#endif
}
