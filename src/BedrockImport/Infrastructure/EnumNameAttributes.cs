using System.Management.Automation;

namespace BedrockImport.Infrastructure;

/// <summary>Binds an enum-typed parameter the way the string parameter with a ValidateSet of names it replaced did:
/// whatever is given is taken as text, and the text must be one of the names, in any case. Anything else (a number,
/// another word) becomes an undefined value that <see cref="ValidateEnumNameAttribute"/> refuses, so a bad value is
/// still a validation error (ParameterArgumentValidationError) naming the value and the set, not a failed conversion.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class EnumNameAttribute : ArgumentTransformationAttribute
{
    /// <summary>Transform and validate run one after the other on the binding thread; the refused text waits here.</summary>
    [ThreadStatic]
    private static string? _refused;

    public EnumNameAttribute(Type enumType)
    {
        EnumType = enumType;
    }

    public Type EnumType { get; }

    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        if (value == null)
        {
            return null;
        }

        var text = value as string ?? value.ToString();
        foreach (var name in Enum.GetNames(EnumType))
        {
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
            {
                return Enum.Parse(EnumType, name);
            }
        }

        _refused = text;
        return Enum.ToObject(EnumType, -1);
    }

    internal static string? TakeRefused()
    {
        var refused = _refused;
        _refused = null;
        return refused;
    }
}

/// <summary>Refuses an enum value that is not one of the enum's names (see <see cref="EnumNameAttribute"/>).</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class ValidateEnumNameAttribute : ValidateEnumeratedArgumentsAttribute
{
    protected override void ValidateElement(object element)
    {
        var type = element.GetType();
        if (type.IsEnum && !Enum.IsDefined(type, element))
        {
            throw new ValidationMetadataException(
                $"The argument \"{EnumNameAttribute.TakeRefused() ?? element}\" does not belong to the set \"{string.Join(",", Enum.GetNames(type))}\". " +
                "Supply one of these names and try again.");
        }
    }
}
