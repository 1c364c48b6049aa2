-- cnn_div_rhe: combinational exact division with one rounding, the output
-- stage of the average pools:  y = sat8(RHE(v / (N * 2^SHIFT))),
-- (satN to OUT_W bits when OUT_W > 8: cnn_gap's zero point is added after),
-- RHE = round half to even, SHIFT any integer (negative = multiply).
-- N is a constant, or (DIVS given) one of a table of constants chosen per
-- value by `sel`: N = DIVS(sel) (an average pool without count_include_pad
-- divides each window by its own number of real positions).
--
-- How: sign and magnitude m = |v| (RHE is symmetric, so the sign is put back
-- at the end). With num = m * 2^max(-SHIFT,0) and hi = floor(num / 2^max(SHIFT,0))
-- (slices), q = floor(hi / N) = floor(num / D), D = N * 2^max(SHIFT,0),
-- is computed as (hi * M) >> P with M = ceil(2^P / N), P = BH + L,
-- 2^L >= every divisor (exact for every hi < 2^BH: Granlund-Montgomery;
-- M*N - 2^P < N <= 2^L, so one P serves the whole table), the remainder
-- r = num - q * D is formed exactly (one correction step q+1 if r >= D, a
-- safety net the bound makes unreachable), and q is rounded up when
-- 2r > D or (2r = D and q odd). No approximate reciprocal anywhere. With a
-- table, M and D are small ROMs indexed by sel (KH*KW words at most).
--
-- Latency: 0 (combinational). Throughput: one value per cycle.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use work.cnn_pkg.all;

entity cnn_div_rhe is
  generic (
    WIDTH : positive := 16;   -- width of v (signed)
    N     : positive := 1;    -- divisor, < 2^30 (when DIVS is not given)
    SHIFT : integer  := 0;
    -- A table of divisors (each 1 .. 2^30-1), one per value of sel; the
    -- default (0 => 0) means "no table: N".
    DIVS  : int_array := (0 => 0);
    OUT_W : positive := 8     -- width of y (saturated to it)
  );
  port (
    v   : in  signed(WIDTH - 1 downto 0);
    sel : in  natural range 0 to 255 := 0;   -- index into DIVS (ignored without)
    y   : out signed(OUT_W - 1 downto 0)
  );
end entity;

architecture rtl of cnn_div_rhe is
  -- Smallest L with 2^L >= n (0 for n = 1).
  function ceil_log2(x : positive) return natural is
    variable l : natural := 0;
  begin
    while 2 ** l < x loop
      l := l + 1;
    end loop;
    return l;
  end function;

  -- ceil(2^p / n) as an unsigned of width w, by long division (n < 2^30,
  -- so the running remainder 2r+1 < 2^31 stays a VHDL integer).
  function recip(p : natural; dv : positive; w : positive) return unsigned is
    variable q : unsigned(p downto 0) := (others => '0');
    variable r : natural := 0;
    variable res : unsigned(w - 1 downto 0);
  begin
    for i in p downto 0 loop
      if i = p then r := 2 * r + 1; else r := 2 * r; end if;  -- bits of 2^p
      if r >= dv then
        r := r - dv;
        q(i) := '1';
      end if;
    end loop;
    res := resize(q, w);
    if r /= 0 then
      res := res + 1;
    end if;
    return res;
  end function;

  -- The divisors: DIVS, or N alone.
  function table return int_array is
  begin
    if DIVS(DIVS'low) = 0 then
      return (0 => N);
    end if;
    return DIVS;
  end function;
  constant TAB : int_array := table;
  constant NT  : positive := TAB'length;

  function largest return positive is
    variable m : positive := 1;
  begin
    for i in TAB'range loop
      if TAB(i) > m then
        m := TAB(i);
      end if;
    end loop;
    return m;
  end function;
  constant NMAX : positive := largest;

  constant B   : positive := WIDTH;               -- |v| <= 2^(WIDTH-1) fits
  constant LS  : natural  := max_int(-SHIFT, 0);
  constant RS  : natural  := max_int(SHIFT, 0);
  constant BN  : positive := B + LS;              -- num = m * 2^LS
  constant BH  : positive := max_int(BN - RS, 1);    -- hi = num >> RS
  constant L   : natural  := ceil_log2(NMAX);
  constant P   : natural  := BH + L;
  constant WM  : positive := P + 1;               -- M <= 2^P (N = 1)
  constant LN  : positive := ceil_log2(NMAX + 1) + 1; -- bits of every divisor
  constant WC  : positive := max_int(BN, LN + RS) + 2; -- remainder arithmetic
  constant QW  : positive := max_int(BH + 2, OUT_W + 1); -- rounded quotient

  type m_rom_t is array (0 to NT - 1) of unsigned(WM - 1 downto 0);
  type d_rom_t is array (0 to NT - 1) of unsigned(WC - 1 downto 0);

  function m_rom return m_rom_t is
    variable r : m_rom_t;
  begin
    for i in 0 to NT - 1 loop
      r(i) := recip(P, TAB(TAB'low + i), WM);
    end loop;
    return r;
  end function;

  function d_rom return d_rom_t is
    variable r : d_rom_t := (others => (others => '0'));
  begin
    for i in 0 to NT - 1 loop
      r(i)(LN + RS - 1 downto RS) := to_unsigned(TAB(TAB'low + i), LN);
    end loop;
    return r;
  end function;
  constant MS : m_rom_t := m_rom;   -- no word is 0 (M >= 1, D >= 1)
  constant DS : d_rom_t := d_rom;

  signal M    : unsigned(WM - 1 downto 0);
  signal D    : unsigned(WC - 1 downto 0);

  signal neg  : std_logic;
  signal mag  : unsigned(B - 1 downto 0);
  signal num  : unsigned(BN - 1 downto 0);
  signal hi   : unsigned(BH - 1 downto 0);
  signal prod : unsigned(BH + WM - 1 downto 0);
  signal q0   : unsigned(BH downto 0);
  signal qd   : unsigned(WC + BH downto 0);
  signal r0   : unsigned(WC - 1 downto 0);
  signal q1   : unsigned(BH downto 0);
  signal r1   : unsigned(WC - 1 downto 0);
  signal q2   : unsigned(QW - 1 downto 0);
begin
  g_one : if NT = 1 generate
    M <= MS(0);
    D <= DS(0);
  end generate;
  g_tab : if NT > 1 generate
    process (sel)
      variable i : natural range 0 to NT - 1;
    begin
      i := 0;
      if sel < NT then
        i := sel;
      end if;
      M <= MS(i);
      D <= DS(i);
    end process;
  end generate;

  neg <= v(WIDTH - 1);
  process (v)
    variable x : signed(WIDTH downto 0);
  begin
    x := resize(v, WIDTH + 1);
    if x(WIDTH) = '1' then
      x := -x;
    end if;
    mag <= unsigned(x(B - 1 downto 0));
  end process;

  process (mag)
    variable t : unsigned(BN - 1 downto 0) := (others => '0');
  begin
    t := (others => '0');
    t(BN - 1 downto LS) := mag;
    num <= t;
  end process;

  g_hi : if RS < BN generate
    hi <= num(BN - 1 downto RS);
  end generate;
  g_hi0 : if RS >= BN generate
    hi <= (others => '0');
  end generate;

  prod <= hi * M;
  q0   <= resize(prod(prod'high downto P), BH + 1);
  qd   <= resize(q0 * D, WC + BH + 1);
  r0   <= resize(num, WC) - qd(WC - 1 downto 0);

  -- Safety net (unreachable by the bound above): one correction step.
  q1 <= q0 + 1 when r0 >= D else q0;
  r1 <= r0 - D when r0 >= D else r0;

  process (q1, r1)
    variable twice : unsigned(WC downto 0);
    variable dd    : unsigned(WC downto 0);
  begin
    twice := r1 & '0';
    dd    := '0' & D;
    if twice > dd or (twice = dd and q1(0) = '1') then
      q2 <= resize(q1, QW) + 1;
    else
      q2 <= resize(q1, QW);
    end if;
  end process;

  -- Sign back, saturate to OUT_W bits (int8 by default).
  process (q2, neg)
    variable t : signed(QW downto 0);
  begin
    t := -signed('0' & q2);
    if neg = '1' then
      if q2 > to_unsigned(2 ** (OUT_W - 1), QW) then
        y <= to_signed(-(2 ** (OUT_W - 1)), OUT_W);
      else
        y <= t(OUT_W - 1 downto 0);
      end if;
    else
      if q2 > to_unsigned(2 ** (OUT_W - 1) - 1, QW) then
        y <= to_signed(2 ** (OUT_W - 1) - 1, OUT_W);
      else
        y <= signed(q2(OUT_W - 1 downto 0));
      end if;
    end if;
  end process;
end architecture;
