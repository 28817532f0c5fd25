using SharpFuzz;

namespace BedrockImport.Fuzz;

/// <summary>One executable for every fuzz target (docs/FUZZING.md):
///   afl TARGET              the AFL++ fork server (afl-fuzz ... -- dotnet BedrockImport.Fuzz.dll afl TARGET)
///   libfuzzer TARGET        the libFuzzer runner (libfuzzer-dotnet --target_path=... --target_arg=...)
///   run TARGET PATH...      replays files or folders once each (triage, regressions); exit 1 on a finding
///   list                    the target names
///   seeds FOLDER            writes the generated seeds (signed requests, frames, safetensors) into FOLDER/TARGET/
/// An input that ends in one of the target's documented exceptions is a pass; any other exception escapes and is the finding.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] == "list")
        {
            foreach (var target in FuzzTargets.All) Console.WriteLine(target.Name + "\t" + target.Description);
            return 0;
        }
        if (args.Length == 2 && args[0] == "seeds")
        {
            Seeds.Write(args[1]);
            return 0;
        }
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: BedrockImport.Fuzz (afl|libfuzzer|run) TARGET [PATH...] | list");
            return 2;
        }
        var selected = FuzzTargets.Find(args[1]);
        if (selected is null)
        {
            Console.Error.WriteLine("unknown target '" + args[1] + "'; targets: " + string.Join(", ", FuzzTargets.All.Select(t => t.Name)));
            return 2;
        }
        switch (args[0])
        {
            case "afl":
                Fuzzer.OutOfProcess.Run(stream =>
                {
                    using var buffer = new MemoryStream();
                    stream.CopyTo(buffer);
                    selected.Execute(buffer.ToArray());
                });
                return 0;
            case "libfuzzer":
                Fuzzer.LibFuzzer.Run(span => selected.Execute(span.ToArray()));
                return 0;
            case "run":
                return Replay(selected, args.Skip(2));
            default:
                Console.Error.WriteLine("unknown mode '" + args[0] + "'");
                return 2;
        }
    }

    private static int Replay(FuzzTarget target, IEnumerable<string> paths)
    {
        var findings = 0;
        var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).OrderBy(f => f, StringComparer.Ordinal).ToArray() : new[] { p });
        foreach (var file in files)
        {
            try
            {
                target.Execute(File.ReadAllBytes(file));
                Console.WriteLine("pass    " + file);
            }
            catch (Exception finding)
            {
                findings++;
                Console.WriteLine("FINDING " + file + ": " + finding.GetType().FullName + ": " + finding.Message);
                Console.WriteLine(finding.StackTrace);
            }
        }
        return findings == 0 ? 0 : 1;
    }
}
