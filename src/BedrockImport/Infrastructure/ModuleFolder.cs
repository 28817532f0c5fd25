using System.Management.Automation;

namespace BedrockImport.Infrastructure;

/// <summary>Where the module is laid out: the manifest folder holds core/ or desktop/ with this assembly.</summary>
internal static class ModuleFolder
{
    public static string Path
    {
        get
        {
            var assemblyFolder = System.IO.Path.GetDirectoryName(typeof(ModuleFolder).Assembly.Location) ?? ".";
            return Directory.GetParent(assemblyFolder)?.FullName ?? assemblyFolder;
        }
    }

    /// <summary>The local endpoint's assembly, laid out beside the module by build.ps1 (endpoint/).</summary>
    public static string LocalEndpointAssembly => System.IO.Path.Combine(Path, "endpoint", "BedrockImport.LocalEndpoint.dll");

    /// <summary>Names of the cmdlets that take the AWS common parameters.</summary>
    public static IEnumerable<string> AwsCmdletNames()
        => typeof(ModuleFolder).Assembly.GetTypes()
            .Where(t => typeof(AwsCmdlet).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(t => t.GetCustomAttributes(typeof(CmdletAttribute), false).OfType<CmdletAttribute>().FirstOrDefault())
            .Where(a => a != null)
            .Select(a => a!.VerbName + "-" + a.NounName);
}
