using System.Management.Automation;
using System.Reflection;
#if NET
using System.Runtime.Loader;
#endif

namespace BedrockImport.Infrastructure;

/// <summary>
/// Loads BedrockImport.Engine and its AWSSDK dependencies from the private dependencies/ folder, so that the
/// AWSSDK.Core of AWS.Tools (loaded in the same session) and ours never meet. On PowerShell 7 the engine lives in
/// its own AssemblyLoadContext; on Windows PowerShell 5.1 an AssemblyResolve handler serves the same folder.
/// This class must not touch any engine type: it runs before the engine can be resolved.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    internal const string EngineAssemblyName = "BedrockImport.Engine";

    private static readonly string DependencyFolder = Path.Combine(
        Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? ".", "dependencies");

#if NET
    private static readonly DependencyLoadContext LoadContext = new DependencyLoadContext(DependencyFolder);

    public void OnImport() => AssemblyLoadContext.Default.Resolving += ResolveEngine;

    public void OnRemove(PSModuleInfo module) => AssemblyLoadContext.Default.Resolving -= ResolveEngine;

    private static Assembly? ResolveEngine(AssemblyLoadContext defaultContext, AssemblyName name)
        => name.Name == EngineAssemblyName ? LoadContext.LoadFromAssemblyName(name) : null;

    private sealed class DependencyLoadContext : AssemblyLoadContext
    {
        private readonly string _folder;
        private readonly HashSet<string> _platformAssemblies;

        public DependencyLoadContext(string folder) : base("BedrockImport", isCollectible: false)
        {
            _folder = folder;
            _platformAssemblies = PlatformAssemblyNames();
        }

        protected override Assembly? Load(AssemblyName name)
        {
            // Framework assemblies stay shared with PowerShell so that types such as JsonElement are one type.
            if (name.Name == null || _platformAssemblies.Contains(name.Name))
            {
                return null;
            }

            var path = Path.Combine(_folder, name.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }

        private static HashSet<string> PlatformAssemblyNames()
        {
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string list)
            {
                foreach (var path in list.Split(Path.PathSeparator))
                {
                    names.Add(Path.GetFileNameWithoutExtension(path));
                }
            }

            return names;
        }
    }
#else
    public void OnImport() => AppDomain.CurrentDomain.AssemblyResolve += ResolveDependency;

    public void OnRemove(PSModuleInfo module) => AppDomain.CurrentDomain.AssemblyResolve -= ResolveDependency;

    private static Assembly? ResolveDependency(object? sender, ResolveEventArgs args)
    {
        var name = new AssemblyName(args.Name).Name;
        if (name == null)
        {
            return null;
        }

        var path = Path.Combine(DependencyFolder, name + ".dll");
        return File.Exists(path) ? Assembly.LoadFrom(path) : null;
    }
#endif
}
