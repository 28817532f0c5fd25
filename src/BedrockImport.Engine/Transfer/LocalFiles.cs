using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace BedrockImport.Engine.Transfer
{
    /// <summary>A regular file of the folder being uploaded.</summary>
    public sealed class LocalFile
    {
        public LocalFile(string fullPath, string relativePath, long size)
        {
            FullPath = fullPath;
            RelativePath = relativePath;
            Size = size;
        }

        public string FullPath { get; }
        /// <summary>'/' separators, no leading slash.</summary>
        public string RelativePath { get; }
        public long Size { get; }
    }

    public static class LocalFiles
    {
        /// <summary>The default filter: leaves out hidden files and anything under a hidden folder (.git, .cache, ...).</summary>
        public static bool IsVisible(string relativePath)
            => relativePath.Split('/').All(segment => segment.Length > 0 && segment[0] != '.');

        /// <summary>Every regular file under folder (recursively, following file symlinks but not folder symlinks)
        /// that the filter accepts (default: IsVisible), ordered by relative path.</summary>
        public static IReadOnlyList<LocalFile> Enumerate(string folder, Func<string, bool>? filter = null)
        {
            var root = Path.GetFullPath(folder);
            if (!Directory.Exists(root))
            {
                throw new DirectoryNotFoundException($"The folder '{folder}' does not exist.");
            }

            filter ??= IsVisible;
            var files = new List<LocalFile>();
            var pending = new Stack<DirectoryInfo>();
            pending.Push(new DirectoryInfo(root));
            while (pending.Count > 0)
            {
                var directory = pending.Pop();
                foreach (var entry in directory.EnumerateFileSystemInfos())
                {
                    var relative = entry.FullName.Substring(root.Length).TrimStart(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)
                        .Replace(Path.DirectorySeparatorChar, '/');
                    var isLink = (entry.Attributes & FileAttributes.ReparsePoint) != 0;
                    if (entry is DirectoryInfo subdirectory)
                    {
                        if (!isLink)
                        {
                            pending.Push(subdirectory);
                        }

                        continue;
                    }

                    if (!filter(relative))
                    {
                        continue;
                    }

                    long size;
                    if (isLink)
                    {
                        using var stream = new FileStream(entry.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
                        size = stream.Length;
                    }
                    else
                    {
                        size = ((FileInfo)entry).Length;
                    }

                    files.Add(new LocalFile(entry.FullName, relative, size));
                }
            }

            files.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
            return files;
        }
    }
}
