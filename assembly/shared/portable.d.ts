// For TypeScript only (AssemblyScript never reads it): the integer type names that the shared
// functions use, as plain numbers. Shared code keeps every value within i32 and uses only
// +, -, shifts and comparisons, so both compilers compute the same numbers.
type i32 = number;
