package io.lakeloop.common.cli;

/**
 * A command-line flag a job accepts.
 *
 * @param name the flag without dashes, e.g. {@code rows} for {@code --rows}
 * @param valueName placeholder shown in help (null for a boolean switch)
 * @param help one line of help
 * @param repeatable whether it may be given several times
 */
public record Flag(String name, String valueName, String help, boolean repeatable) {
  public static Flag value(String name, String valueName, String help) {
    return new Flag(name, valueName, help, false);
  }

  public static Flag repeated(String name, String valueName, String help) {
    return new Flag(name, valueName, help, true);
  }

  public static Flag toggle(String name, String help) {
    return new Flag(name, null, help, false);
  }

  public boolean takesValue() {
    return valueName != null;
  }

  String usage() {
    return "--"
        + name
        + (takesValue() ? " " + valueName : "")
        + (repeatable ? " (repeatable)" : "");
  }
}
