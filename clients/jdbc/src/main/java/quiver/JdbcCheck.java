package quiver;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

/**
 * Connects to Quiver's Flight SQL endpoint with the Arrow Flight SQL JDBC driver, authenticating
 * with the server's token as the password (the driver does a Flight handshake with it), lists
 * tables, and reads a result. Prints "table schema.name" lines and "sum N" for the test to check.
 * Usage: JdbcCheck host port token
 */
public final class JdbcCheck {
  public static void main(String[] args) throws Exception {
    String url = "jdbc:arrow-flight-sql://" + args[0] + ":" + args[1] + "?useEncryption=false";
    java.util.Properties props = new java.util.Properties();
    props.setProperty("user", "quiver");
    props.setProperty("password", args[2]);
    try (Connection connection = DriverManager.getConnection(url, props)) {
      DatabaseMetaData metadata = connection.getMetaData();
      System.out.println("product " + metadata.getDatabaseProductName());
      try (ResultSet tables = metadata.getTables(null, null, "%", null)) {
        while (tables.next()) {
          System.out.println("table " + tables.getString("TABLE_SCHEM") + "." + tables.getString("TABLE_NAME"));
        }
      }
      try (Statement statement = connection.createStatement();
           ResultSet rows = statement.executeQuery("SELECT sum(id) AS s FROM global_temp.adbc_view")) {
        rows.next();
        System.out.println("sum " + rows.getLong(1));
      }
    }
  }
}
