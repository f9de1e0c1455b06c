// The recursive-descent parser shared by parser.cpp (configuration statements) and
// filter_parser.cpp (the filter language). Private to the config library.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/filter.h"
#include "config/lexer.h"
#include "config/parser.h"

namespace bpfr::config {

class Parser {
 public:
  explicit Parser(Lexer& lexer) : lex_(lexer) {}

  Config parse_file();
  // filter::compile(): like a file, but returns the last filter (or the only inline body).
  std::shared_ptr<const filter::Filter> parse_filter_text();

 private:
  // tokens
  const Token& peek(size_t ahead = 0) { return lex_.peek(ahead); }
  Token next() {
    Token t = lex_.next();
    last_ = t.where;
    return t;
  }
  bool accept(std::string_view word);
  Token expect(std::string_view word);
  [[noreturn]] void fail(const Token& at, const std::string& message);
  [[noreturn]] void syntax_error(const Token& at) { fail(at, "syntax error"); }
  [[noreturn]] void unsupported(const Token& at, const std::string& what);
  std::string expect_name();  // a symbol not yet defined
  void end_statement() { expect(";"); }
  void skip_debug_classes();

  // Bounds the recursion of nested blocks and parentheses, so no file can exhaust the stack.
  struct Nesting {
    Parser& p;
    explicit Nesting(Parser& parser) : p(parser) {
      if (++p.depth_ > max_nesting)
        p.fail(p.peek(), "Nesting too deep");
    }
    ~Nesting() { p.depth_--; }
  };
  static constexpr int max_nesting = 200;
  int depth_ = 0;

  // values used in configuration statements (numbers, addresses, may be defined constants)
  uint32_t parse_number();
  bool parse_bool_opt();  // `[on|off|yes|no|true|false|NUM]`, absent: true
  Address parse_address();
  Prefix parse_prefix();
  std::string parse_string();
  filter::Value parse_constant_term();

  // statements
  void parse_top_statement();
  void parse_log();
  void parse_define();
  void parse_protocol(bool is_template);
  void parse_common_option(ProtocolCommon& p, const Token& t, bool& handled);
  void parse_channel(ProtocolCommon& p, Family family);
  Policy parse_policy();
  Limit parse_limit();
  std::vector<InterfacePattern> parse_interface_patterns();
  // A protocol's { } block: common options, then those own_option(token) knows (it returns
  // false for a word it does not), each statement ending in ';'.
  template <class Protocol, class OwnOption>
  void parse_protocol_block(Protocol& p, OwnOption own_option);
  void parse_device(DeviceProtocol& p);
  void parse_direct(DirectProtocol& p);
  void parse_static(StaticProtocol& p);
  void parse_static_route(StaticProtocol& p);
  void parse_kernel(KernelProtocol& p);
  void parse_bgp(BgpProtocol& p);
  void parse_bgp_option(BgpProtocol& p, const Token& t);
  void parse_fast_path();
  void parse_fast_path_interface(FastPathConfig& f);
  std::vector<Prefix> parse_prefix_list();
  void finish(Config& c);

  // filters (filter_parser.cpp)
  void parse_filter_definition();
  void parse_function_definition();
  std::shared_ptr<filter::Filter> parse_filter_body(const std::string& name);
  std::shared_ptr<filter::Filter> parse_where_filter();
  void parse_declarations(filter::Function& f);
  std::unique_ptr<filter::Stmt> parse_block();
  std::unique_ptr<filter::Stmt> parse_statement();
  std::unique_ptr<filter::Stmt> parse_command_or_block();
  std::unique_ptr<filter::Expr> parse_expr();
  std::unique_ptr<filter::Expr> parse_compare();
  std::unique_ptr<filter::Expr> parse_sum();
  std::unique_ptr<filter::Expr> parse_product();
  std::unique_ptr<filter::Expr> parse_unary();
  std::unique_ptr<filter::Expr> parse_postfix(std::unique_ptr<filter::Expr> e);
  std::unique_ptr<filter::Expr> parse_primary();
  std::unique_ptr<filter::Expr> parse_paren();
  std::unique_ptr<filter::Expr> parse_word_expr(const Token& t);
  std::unique_ptr<filter::Expr> parse_set();
  std::unique_ptr<filter::Expr> parse_path_mask();
  std::vector<std::unique_ptr<filter::Expr>> parse_call_args();
  std::unique_ptr<filter::Expr> make_const(filter::Value v, int line);
  bool parse_type(filter::Type& type);
  int find_variable(const std::string& name) const;
  filter::Value evaluate_constant(std::unique_ptr<filter::Expr> e, const Token& at);

  // A filter or function being parsed: its variables by name, and storage for constants.
  struct Scope {
    filter::Function* function = nullptr;
    std::vector<std::pair<std::string, uint32_t>> names;
  };

  Lexer& lex_;
  Config config_;
  std::map<std::string, filter::Value> defines_;
  std::shared_ptr<filter::Storage> storage_ = std::make_shared<filter::Storage>();
  std::map<std::string, const filter::Function*> functions_;
  std::map<std::string, std::shared_ptr<const filter::Filter>> filters_;
  std::map<std::string, BgpProtocol> bgp_templates_;
  std::map<std::string, int> template_kinds_;  // name -> kind of non-bgp templates
  std::map<std::string, int> counters_;        // default names: "static" -> 2
  std::vector<std::string> tables_{"master4", "master6"};
  Scope* scope_ = nullptr;
  SourceLocation last_;  // where the last consumed token was: BIRD's place for late checks
  std::shared_ptr<filter::Filter> last_filter_;
};

}  // namespace bpfr::config
