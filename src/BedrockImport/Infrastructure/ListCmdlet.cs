using System;
using System.Management.Automation;

namespace BedrockImport.Infrastructure
{
    /// <summary>Base of the Get- cmdlets that list Bedrock resources: the filters both list operations take.</summary>
    public abstract class ListCmdlet : AwsCmdlet
    {
        protected const string ListSet = "List";
        protected const string IdentifierSet = "Identifier";

        [Parameter(ParameterSetName = ListSet)]
        public string? NameContains { get; set; }

        [Parameter(ParameterSetName = ListSet)]
        public DateTime? CreatedAfter { get; set; }

        [Parameter(ParameterSetName = ListSet)]
        public DateTime? CreatedBefore { get; set; }

        [Parameter(ParameterSetName = ListSet)]
        [EnumName(typeof(SortOrder)), ValidateEnumName]
        public SortOrder? SortOrder { get; set; }

        protected DateTime? CreatedAfterUtc => CreatedAfter?.ToUniversalTime();

        protected DateTime? CreatedBeforeUtc => CreatedBefore?.ToUniversalTime();

        /// <summary>The service's sortBy: the only sort key is the creation time.</summary>
        protected string? SortBy => SortOrder == null ? null : "CreationTime";

        protected string? ServiceSortOrder => SortOrder.ToService();
    }
}
