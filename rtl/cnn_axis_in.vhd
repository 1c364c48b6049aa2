-- cnn_axis_in: the first stage after the top's s_axis. Passes the beats of
-- each BEATS-beat image to the first PE (which counts and needs no last) and
-- checks in_last against its own count, keeping the pipeline aligned when
-- the sender gets tlast wrong (SPEC §3: a protocol error the harness
-- reports; the hardware must not hang on it):
--  * early tlast (on beat i < BEATS-1 of an image): the beat is passed, then
--    the image is completed with BEATS-1-i zero beats (no input taken
--    meanwhile); the next beat starts a new image.
--  * missing tlast (beat BEATS-1 without tlast): the beat is passed (the
--    image is complete), then further input beats are dropped up to and
--    including the next beat with tlast (resynchronisation).
-- Each error gives a one-cycle pulse on tlast_error (registered, in the cycle
-- after the offending beat is accepted). Correct streams pass untouched.
--
-- Cycle model: cycles per image = BEATS. Latency: 1 cycle.
-- Throughput: 1 beat per cycle. Backpressure: cnn_skid on the output.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

entity cnn_axis_in is
  generic (
    BEATS : positive := 10
  );
  port (
    clk         : in  std_logic;
    rst         : in  std_logic;
    in_valid    : in  std_logic;
    in_ready    : out std_logic;
    in_data     : in  std_logic_vector(7 downto 0);
    in_last     : in  std_logic;
    out_valid   : out std_logic;
    out_ready   : in  std_logic;
    out_data    : out std_logic_vector(7 downto 0);
    tlast_error : out std_logic
  );
end entity;

architecture rtl of cnn_axis_in is
  type state_t is (PASS, FILL, DROP);
  signal state    : state_t := PASS;
  signal cnt      : natural range 0 to BEATS - 1 := 0;
  signal st_valid : std_logic;
  signal st_ready : std_logic;
  signal st_data  : std_logic_vector(7 downto 0);
  signal err_r    : std_logic := '0';
begin
  st_valid <= in_valid when state = PASS else
              '1' when state = FILL else '0';
  st_data  <= in_data when state = PASS else (others => '0');
  in_ready <= st_ready when state = PASS else
              '1' when state = DROP else '0';
  tlast_error <= err_r;

  process (clk)
  begin
    if rising_edge(clk) then
      err_r <= '0';
      -- An if chain, not a case: GHDL writes a case on an enum as a one-hot
      -- case without a default, which synthesis (Yosys) reads as latches.
      if state = PASS then
        if in_valid = '1' and st_ready = '1' then
          if cnt = BEATS - 1 then
            cnt <= 0;
            if in_last = '0' then
              err_r <= '1';
              state <= DROP;
            end if;
          else
            cnt <= cnt + 1;
            if in_last = '1' then
              err_r <= '1';
              state <= FILL;
            end if;
          end if;
        end if;
      elsif state = FILL then
        if st_ready = '1' then
          if cnt = BEATS - 1 then
            cnt <= 0;
            state <= PASS;
          else
            cnt <= cnt + 1;
          end if;
        end if;
      else  -- DROP
        if in_valid = '1' and in_last = '1' then
          state <= PASS;
        end if;
      end if;
      if rst = '1' then
        state <= PASS;
        cnt   <= 0;
        err_r <= '0';
      end if;
    end if;
  end process;

  u_out : entity work.cnn_skid
    generic map (WIDTH => 8)
    port map (clk => clk, rst => rst,
              in_valid => st_valid, in_ready => st_ready, in_data => st_data,
              out_valid => out_valid, out_ready => out_ready, out_data => out_data);
end architecture;
